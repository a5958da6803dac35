import { useApolloClient, useQuery } from "@apollo/client/react";
import { useCallback } from "react";
import {
  ApiSecretsDocument,
  CreateSecretDocument,
  RevokeSecretDocument,
  RotateSecretDocument,
  type ApiSecretFieldsFragment,
} from "./graphql.generated";

export type ApiSecretItem = ApiSecretFieldsFragment;

const LIST_REFRESH_MS = 30_000;

export interface RevealedCredentials {
  keyId: string;
  secret: string;
}

export interface IssuedCredentials {
  id: string;
  name: string;
  credentials: RevealedCredentials;
}

/**
 * The project's secrets and the three changes. Mutations go through `client.mutate` with
 * fetchPolicy "no-cache": their results (the only place a secret appears) never enter Apollo's
 * cache or a hook's state, and are handed straight to the caller. The list is refetched after each
 * change rather than updated optimistically.
 */
export function useApiSecrets(projectId: string) {
  const client = useApolloClient();
  const query = useQuery(ApiSecretsDocument, {
    variables: { projectId },
    notifyOnNetworkStatusChange: true,
    // Keeps "last used" and grace-period notices current while the page stays open.
    pollInterval: LIST_REFRESH_MS,
  });
  const { refetch } = query;
  // After a change the list is reloaded; if that fails, the change still happened and its
  // credentials must still be revealed, so the failure is not the change's.
  const refresh = useCallback(
    () =>
      refetch().then(
        () => undefined,
        () => undefined,
      ),
    [refetch],
  );

  const create = useCallback(
    async (name: string | null): Promise<IssuedCredentials> => {
      const { data } = await client.mutate({
        mutation: CreateSecretDocument,
        variables: { input: { projectId, name } },
        fetchPolicy: "no-cache",
      });
      if (!data) throw new Error("createSecret returned no data");
      await refresh();
      const { apiSecret, credentials } = data.createSecret;
      return { id: apiSecret.id, name: apiSecret.name, credentials: { ...credentials } };
    },
    [client, projectId, refresh],
  );

  const rotate = useCallback(
    async (id: string, gracePeriodSeconds: number): Promise<IssuedCredentials> => {
      const { data } = await client.mutate({
        mutation: RotateSecretDocument,
        variables: { input: { id, gracePeriodSeconds } },
        fetchPolicy: "no-cache",
      });
      if (!data) throw new Error("rotateSecret returned no data");
      await refresh();
      const { apiSecret, credentials } = data.rotateSecret;
      return { id: apiSecret.id, name: apiSecret.name, credentials: { ...credentials } };
    },
    [client, refresh],
  );

  const revoke = useCallback(
    async (id: string): Promise<void> => {
      await client.mutate({ mutation: RevokeSecretDocument, variables: { input: { id } }, fetchPolicy: "no-cache" });
      await refresh();
    },
    [client, refresh],
  );

  return {
    secrets: query.data?.apiSecrets,
    canManage: query.data?.projectAccess.canManageSecrets ?? false,
    loading: query.loading && !query.data,
    error: query.data ? undefined : query.error,
    retry: refetch,
    create,
    rotate,
    revoke,
  };
}
