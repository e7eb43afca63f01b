/**
 * What the runner reads from and writes to the chain (docs/practice-network.md §2): the
 * coordinator's identity and certificate hashes, its own registration, and `register_runner`
 * signed by the runner wallet (ed25519, SS58 signer). The same chain call as the app's network
 * client (core/network/chain-call.ts); one transaction at a time per runner wallet.
 */
import { AppError } from '@shared/contract/errors';
import { txSigningBytes, type ChainMethod, type ChainParams, type ChainResult, type RunnerView, type TxArgs } from '@shared/protocol/chain-api';
import { fromBase58, to0xHex } from '@shared/protocol/encoding';
import { ss58Encode } from '@shared/protocol/identities';
import { chainCall } from '../network/chain-call';
import type { CoordinatorFacts } from './auth';

export interface RunnerWalletSigner {
  /** b58 of the 32-byte ed25519 key. */
  walletB58: string;
  sign(message: Uint8Array): Uint8Array;
}

export class RunnerChain {
  private genesis: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly chainUrl: string) {}

  call<M extends ChainMethod>(method: M, params: ChainParams<M>): Promise<ChainResult<M>> {
    return chainCall(this.chainUrl, method, params);
  }

  async coordinator(competitionId: string): Promise<CoordinatorFacts | null> {
    const { coordinator } = await this.call('chain_getCoordinator', { competition_id: competitionId });
    return coordinator ? { walletB58: coordinator.wallet_b58, hotkey: coordinator.smp_hotkey_b58, certHashes: coordinator.cert_hashes } : null;
  }

  async runner(competitionId: string, modelId: string): Promise<RunnerView | null> {
    return (await this.call('chain_getRunner', { competition_id: competitionId, model_id: modelId })).runner;
  }

  /** `register_runner` signed by the runner wallet; resolves once included, else a typed error. */
  registerRunner(args: TxArgs<'register_runner'>, wallet: RunnerWalletSigner, timeoutMs = 60_000): Promise<{ txId: string; block: number }> {
    const run = async (): Promise<{ txId: string; block: number }> => {
      this.genesis ??= (await this.call('chain_info', {})).genesis_hash;
      const signer = ss58Encode(fromBase58(wallet.walletB58, 'runner wallet', { length: 32 }));
      const { next_nonce: nonce } = await this.call('chain_getNonce', { signer });
      const unsigned = { kind: 'register_runner', args_json: JSON.stringify(args), signer, nonce };
      const tx = { ...unsigned, scheme: 'ed25519' as const, signature: to0xHex(wallet.sign(txSigningBytes(this.genesis, unsigned))) };
      const { tx_id: txId } = await this.call('chain_submitTx', { tx });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await this.call('chain_txStatus', { tx_id: txId });
        if (status.state === 'included') return { txId, block: status.block };
        if (status.state === 'failed') {
          const hint =
            status.error.code === 'UNKNOWN_HOTKEY'
              ? ' Your hotkey is not registered in this competition yet: wait until joining finishes.'
              : status.error.code === 'MODEL_TAKEN'
                ? ' Another runner wallet holds this model id.'
                : '';
          throw new AppError('VALIDATION', `The chain refused the runner registration (${status.error.code}).${hint}`, { details: { chainCode: status.error.code } });
        }
        if (Date.now() > deadline) throw new AppError('TIMEOUT', 'The runner registration was not included on chain in time. It is tried again.');
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const next = this.queue.catch(() => undefined).then(run);
    this.queue = next;
    return next;
  }
}
