import { Field, ID, ObjectType, registerEnumType } from "type-graphql";

/** The roles a host token grants, as GraphQL enum values (the token itself says "admin" / "viewer"). */
export enum ProjectRoleValue {
  ADMIN = "admin",
  VIEWER = "viewer",
}

registerEnumType(ProjectRoleValue, {
  name: "ProjectRole",
  valuesConfig: {
    ADMIN: { description: "May list, create, rotate and revoke API secrets." },
    VIEWER: { description: "May list API secrets." },
  },
});

@ObjectType({ description: "What the caller may do with a project's API secrets, so a UI can offer only that." })
export class ProjectAccess {
  @Field(() => ID)
  projectId!: string;

  @Field(() => ProjectRoleValue)
  role!: ProjectRoleValue;

  @Field(() => Boolean, { description: "Whether createSecret, rotateSecret and revokeSecret are allowed." })
  canManageSecrets!: boolean;
}
