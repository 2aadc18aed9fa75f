import { useEffect, useState } from 'preact/hooks';

/** Copies `text` to the clipboard; falls back to selecting `fallbackTarget` so the user can copy by hand. */
export async function copyText(text: string, fallbackTarget?: HTMLElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackTarget) {
      const range = document.createRange();
      range.selectNodeContents(fallbackTarget);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    }
    return false;
  }
}

export interface CopyButtonProps {
  text: string;
  /** What is copied, for the accessible name, e.g. "secret". */
  what: string;
  /** Element selected when the clipboard is unavailable. */
  fallbackTarget?: () => HTMLElement | null;
  class?: string;
  autofocus?: boolean;
}

/** "Copy" → "Copied" (announced), or "Press Ctrl+C" with the text selected when the clipboard is blocked. */
export function CopyButton({ text, what, fallbackTarget, class: className, autofocus }: CopyButtonProps) {
  const [state, setState] = useState<'idle' | 'copied' | 'manual'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <>
      <button
        type="button"
        class={`button secondary ${className ?? ''}`}
        data-autofocus={autofocus ? '' : undefined}
        onClick={async () => setState((await copyText(text, fallbackTarget?.())) ? 'copied' : 'manual')}
      >
        {state === 'copied' ? 'Copied' : 'Copy'}
        <span class="visually-hidden"> {what}</span>
      </button>
      <span class="visually-hidden" role="status">
        {state === 'copied' ? `The ${what} was copied to the clipboard.` : ''}
        {state === 'manual'
          ? `Copying is blocked by the browser; the ${what} is selected, press Ctrl+C.`
          : ''}
      </span>
    </>
  );
}
