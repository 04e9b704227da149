// One transient message at a time, optionally with an action (e.g. "Undo" after a delete).
export interface Toast {
  text: string;
  action?: { label: string; run: () => void | Promise<void> };
}

export const toast = $state<{ current: Toast | null }>({ current: null });
let timer: ReturnType<typeof setTimeout> | undefined;

export function showToast(t: Toast, ms = 8000) {
  toast.current = t;
  clearTimeout(timer);
  timer = setTimeout(() => (toast.current = null), ms);
}

export function dismissToast() {
  clearTimeout(timer);
  toast.current = null;
}
