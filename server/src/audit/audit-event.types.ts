import { ArgsType, Field, ID, Int, ObjectType } from "type-graphql";
import { IsInt, IsOptional, Matches, Max, Min } from "class-validator";
import { PROJECT_ID_PATTERN } from "@keyturn/shared";
import { AuditEvent } from "./audit-event.entity";

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class AuditEventsArgs {
  @Field(() => ID)
  @Matches(PROJECT_ID_PATTERN, { message: "projectId must be 1–128 letters, digits or . _ : @ -." })
  projectId!: string;

  @Field(() => Int, { defaultValue: 20, description: `Events per page, 1 to ${MAX_PAGE_SIZE}.` })
  @IsInt()
  @Min(1, { message: "first must be at least 1." })
  @Max(MAX_PAGE_SIZE, { message: `first must be at most ${MAX_PAGE_SIZE}.` })
  first!: number;

  @Field(() => String, { nullable: true, description: "The endCursor of the previous page." })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: "after must be a cursor from a previous page." })
  after?: string | null;
}

@ObjectType()
export class AuditEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEvent)
  node!: AuditEvent;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of audit events, newest first." })
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
