// The only platform API shared code may use: Web Crypto's CSPRNG, present in browsers and in Node 20+.
// Declared by hand because this package compiles without DOM or Node typings, which keeps it portable.
declare global {
  var crypto: { getRandomValues<T extends Uint8Array>(array: T): T };
}

export {};
