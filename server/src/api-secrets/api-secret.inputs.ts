import { checkSecretName, MAX_GRACE_PERIOD_SECONDS, PROJECT_ID_PATTERN } from "@keyturn/shared";
import { IsInt, IsOptional, IsUUID, Matches, Max, Min, registerDecorator } from "class-validator";
import { ArgsType, Field, ID, InputType, Int } from "type-graphql";

const PROJECT_ID_MESSAGE = "projectId must be 1–128 letters, digits or . _ : @ - (starting with a letter or digit).";

/** The shared secret-name rule (trimmed, 1–100 characters, no control characters) as a class-validator check. */
function IsSecretName(): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: "isSecretName",
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === "string" && checkSecretName(value).ok,
        defaultMessage: (args) => {
          const check = typeof args?.value === "string" ? checkSecretName(args.value) : null;
          return check && !check.ok ? check.message : "Name must be a string.";
        },
      },
    });
  };
}

@ArgsType()
export class ProjectArgs {
  @Field(() => ID)
  @Matches(PROJECT_ID_PATTERN, { message: PROJECT_ID_MESSAGE })
  projectId!: string;
}

@InputType()
export class CreateSecretInput {
  @Field(() => ID)
  @Matches(PROJECT_ID_PATTERN, { message: PROJECT_ID_MESSAGE })
  projectId!: string;

  @Field(() => String, {
    nullable: true,
    description: "Shown in the list. Trimmed; 1–100 characters. Omitted or null: “Secret <n>”.",
  })
  @IsOptional()
  @IsSecretName()
  name?: string | null;
}

@InputType()
export class RotateSecretInput {
  @Field(() => ID)
  @IsUUID("all", { message: "id must be an API secret id." })
  id!: string;

  @Field(() => Int, {
    defaultValue: 0,
    description:
      "How long the replaced credential keeps working, 0 (the default: it stops at once) to 604800 (7 days). " +
      "A credential still in an earlier grace period stops at once either way.",
  })
  @IsInt()
  @Min(0, { message: "gracePeriodSeconds must be at least 0." })
  @Max(MAX_GRACE_PERIOD_SECONDS, {
    message: `gracePeriodSeconds must be at most ${MAX_GRACE_PERIOD_SECONDS} (7 days).`,
  })
  gracePeriodSeconds!: number;
}

@InputType()
export class RevokeSecretInput {
  @Field(() => ID)
  @IsUUID("all", { message: "id must be an API secret id." })
  id!: string;
}
