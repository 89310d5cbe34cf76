/**
 * The store's first module name, kept so code written against it still works: it re-exports
 * `store.ts` and offers `ResultStore.open` (now {@link openStore}, which also takes PostgreSQL URLs).
 * New code imports `core/store/store.ts`.
 *
 * @module
 */
import { openStore, resolveStoreLocation } from "./store.ts";
import type { OpenStoreOptions, ResultStore as Store } from "./types.ts";

export * from "./store.ts";
export { KvStore } from "./kv_backend.ts";

/** The store interface (see `types.ts`). */
export type ResultStore = Store;

/** `ResultStore.open(location)`: the factory under its first name. */
export const ResultStore: {
  /** Opens a store (see {@link openStore}). */
  open(location: string, options?: OpenStoreOptions): Promise<Store>;
} = { open: openStore };

/** The store location from a flag, `PRUNELAB_STORE` or the default (see `resolveStoreLocation`). */
export const resolveStorePath: (flag?: string) => string = resolveStoreLocation;
