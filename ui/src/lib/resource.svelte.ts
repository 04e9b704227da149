// Every view's fetch goes through `resource`: it keeps the last data on screen while a
// reload runs, shows an error instead of spinning forever, and ignores a response that
// arrives after a newer request was made (a slow answer for the previous vehicle must
// never overwrite the current one).
//
// `load()` does not subscribe the caller to what the fetcher reads: an effect that loads
// names its triggers itself (`void version; void vid;`). Otherwise reading a prop object
// (`vehicle.id`) made every tab refetch whenever the parent handed it a new object — and a
// tab switch did: four fuel lists, four vehicle reads and three service lists per click.
import { untrack } from "svelte";
import { ApiError } from "./api";

export interface Resource<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  /** Starts a request; earlier ones still in flight are ignored when they answer. */
  load(): Promise<void>;
}

export function resource<T>(fetcher: () => Promise<T>): Resource<T> {
  let seq = 0;
  const s = $state<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: false });
  return {
    get data() {
      return s.data;
    },
    get error() {
      return s.error;
    },
    get loading() {
      return s.loading;
    },
    async load() {
      const mine = ++seq;
      s.loading = true;
      try {
        const d = await untrack(fetcher);
        if (mine !== seq) return;
        s.data = d;
        s.error = null;
      } catch (e) {
        if (mine !== seq) return;
        s.error = ApiError.from(e).message;
      } finally {
        if (mine === seq) s.loading = false;
      }
    },
  };
}
