import { useApolloClient, useQuery } from "@apollo/client/react";
import { useCallback, useState } from "react";
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
 *
 * The list skips Apollo's normalised cache too: nothing else reads it there, and writing 50
 * secrets into it and reading them back cost more on a fresh page than rendering them
 * (docs/performance.md). Rows keep their object while their secret is unchanged (useSameObjects).
 */
export function useApiSecrets(projectId: string) {
  const client = useApolloClient();
  const query = useQuery(ApiSecretsDocument, {
    variables: { projectId },
    fetchPolicy: "no-cache",
    notifyOnNetworkStatusChange: true,
    // Keeps "last used" and grace-period notices current while the page stays open.
    pollInterval: LIST_REFRESH_MS,
  });
  const secrets = useSameObjects(query.data?.apiSecrets);
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
    secrets,
    canManage: query.data?.projectAccess.canManageSecrets ?? false,
    loading: query.loading && !query.data,
    error: query.data ? undefined : query.error,
    retry: refetch,
    create,
    rotate,
    revoke,
  };
}

/**
 * The list with each unchanged secret as the object the previous answer gave, so memoised rows
 * skip a refetch that changed one secret or none, as they would reading from a normalised cache.
 * (State adjusted while rendering, as React documents for values derived from earlier renders.)
 */
function useSameObjects(secrets: readonly ApiSecretItem[] | undefined): readonly ApiSecretItem[] | undefined {
  const [kept, setKept] = useState<{ from: readonly ApiSecretItem[] | undefined; shared?: readonly ApiSecretItem[] }>({
    from: undefined,
  });
  if (kept.from === secrets) return kept.shared;
  const shared = secrets && reuseUnchanged(kept.shared ?? [], secrets);
  setKept({ from: secrets, shared });
  return shared;
}

function reuseUnchanged(before: readonly ApiSecretItem[], after: readonly ApiSecretItem[]): ApiSecretItem[] {
  const byId = new Map(before.map((secret) => [secret.id, secret]));
  return after.map((secret) => {
    const old = byId.get(secret.id);
    return old && JSON.stringify(old) === JSON.stringify(secret) ? old : secret;
  });
}
