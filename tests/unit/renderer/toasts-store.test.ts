/**
 * The toast slice of the renderer's store: one message once, at most four, and messages about
 * the wallet's state dropped together when that state changes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { useStore } from '../../../src-renderer/store/store';

const texts = () => useStore.getState().toasts.map((t) => t.text);

beforeEach(() => useStore.setState({ toasts: [] }));

describe('toasts', () => {
  it('says the same message once: pushed again, it replaces the one shown (a new id restarts its timer)', () => {
    const { pushToast } = useStore.getState();
    pushToast('error', 'Create or import a wallet first.', { label: 'Create a wallet', href: '#/wallet' }, 'wallet');
    const first = useStore.getState().toasts[0]!.id;
    pushToast('info', 'Rewards updated.');
    pushToast('error', 'Create or import a wallet first.', { label: 'Create a wallet', href: '#/wallet' }, 'wallet');
    expect(texts()).toEqual(['Rewards updated.', 'Create or import a wallet first.']);
    expect(useStore.getState().toasts[1]!.id).not.toBe(first);
    // The same words as another kind are another message.
    pushToast('info', 'Create or import a wallet first.');
    expect(texts()).toHaveLength(3);
  });

  it('shows four at most, dropping the oldest', () => {
    for (const n of [1, 2, 3, 4, 5]) useStore.getState().pushToast('info', `message ${n}`);
    expect(texts()).toEqual(['message 2', 'message 3', 'message 4', 'message 5']);
  });

  it('drops the toasts of a topic and keeps the rest', () => {
    const { pushToast, dropToasts } = useStore.getState();
    pushToast('error', 'Unlock your wallet to join or leave competitions.', { label: 'Unlock your wallet', href: '#/wallet' }, 'wallet');
    pushToast('info', 'Switched to Practice network.');
    const before = useStore.getState().toasts;
    dropToasts('wallet');
    expect(texts()).toEqual(['Switched to Practice network.']);
    // Nothing about it left: the same list, no re-render.
    const after = useStore.getState().toasts;
    dropToasts('wallet');
    expect(useStore.getState().toasts).toBe(after);
    expect(before).toHaveLength(2);
  });
});
