import { Field, ObjectType } from "type-graphql";
import { ApiSecret } from "./api-secret.entity";

@ObjectType({
  description:
    "The plaintext credentials, returned once by createSecret and rotateSecret. Store them now: " +
    "the server keeps only a keyed hash and can never show the secret again.",
})
export class RevealedCredentials {
  @Field(() => String)
  keyId!: string;

  @Field(() => String)
  secret!: string;
}

@ObjectType()
export class CreateSecretPayload {
  @Field(() => ApiSecret)
  apiSecret!: ApiSecret;

  @Field(() => RevealedCredentials)
  credentials!: RevealedCredentials;
}

@ObjectType()
export class RotateSecretPayload {
  @Field(() => ApiSecret)
  apiSecret!: ApiSecret;

  @Field(() => RevealedCredentials)
  credentials!: RevealedCredentials;
}

@ObjectType()
export class RevokeSecretPayload {
  @Field(() => ApiSecret)
  apiSecret!: ApiSecret;
}
