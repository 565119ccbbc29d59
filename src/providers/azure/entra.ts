/** The scope of an Entra ID token for Azure OpenAI (Azure AI services). */
export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

/**
 * Entra ID bearer tokens from `@azure/identity`'s DefaultAzureCredential (environment service
 * principal, workload identity, managed identity, Azure CLI, …; `AZURE_CLIENT_ID` picks a
 * user-assigned identity). The package is imported on the first call only, so a gateway without
 * an Entra ID provider never loads it; the provider caches and refreshes tokens itself.
 */
export function entraTokenProvider(): () => Promise<string> {
  let provider: Promise<() => Promise<string>> | undefined;
  return async () => {
    provider ??= import('@azure/identity').then(({ DefaultAzureCredential, getBearerTokenProvider }) =>
      getBearerTokenProvider(new DefaultAzureCredential(), COGNITIVE_SERVICES_SCOPE),
    );
    return (await provider)();
  };
}
