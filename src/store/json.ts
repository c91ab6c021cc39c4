// The JSON columns: text written by JSON.stringify in this folder, read back as the type that wrote it.
export const fromJson = <T>(text: string): T => JSON.parse(text) as T;
