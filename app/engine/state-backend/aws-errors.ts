/** Reading AWS SDK errors: their name, HTTP status and headers; a "not found" read as undefined. */

/** Runs a read; the named "does not exist" error becomes undefined, anything else is thrown. */
export async function readOrUndefined<T>(
  read: () => Promise<T>,
  notFound: string,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (errorName(error) === notFound) return undefined;
    throw error;
  }
}

export function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

export function headerOf(error: unknown, header: string): string | undefined {
  const headers = (error as { $response?: { headers?: Record<string, string> } } | undefined)
    ?.$response?.headers;
  return headers?.[header];
}
