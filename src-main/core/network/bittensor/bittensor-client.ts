import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { Codec, ISubmittableResult } from '@polkadot/types/types';
import { startWasmCrypto } from '@common/wasm-crypto';
import { AppError } from '@shared/contract/errors';
import { amountText } from '@shared/format/amount';
import { formatAmount } from '@shared/protocol/chain-api';
import type { ScopedLogger } from '../../log/logger';
import { axonIpToString, checkAxonAddress } from './axon-address';
import { dispatchErrorToAppError, poolErrorToAppError, type ChainErrorContext } from './chain-errors';
import { toPolkadotSigner, type ChainSigner } from './signer';
import type { PowChallenge, PowSolution } from './pow';
import { u8aToHex } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';

/**
 * Bittensor (subtensor) over @polkadot/api. Every call and storage item is looked up by name in
 * the runtime's metadata and its arguments are matched by name, never by index: a runtime whose
 * shapes drifted gets UNSUPPORTED in words instead of a wrong transaction. See README.md.
 */

/** What an endpoint says it is. */
export interface ChainIdentity {
  chain: string;
  genesisHash: string;
  specName: string;
  specVersion: number;
  ss58Format: number;
  tokenSymbol: string;
  tokenDecimals: number;
  /** Best block when connected. */
  block: number;
}

/** What a network profile expects; every field given must match. */
export interface ExpectedChain {
  /** The profile's name, for the words of a mismatch ("finney"). */
  profile: string;
  chain?: string;
  genesisHash?: string;
  specName?: string;
  /** Refuse runtimes older than this (call shapes drift). */
  minSpecVersion?: number;
}

export interface ConnectOptions {
  /** ws:// or wss:// */
  endpoint: string;
  expect?: ExpectedChain;
  /** Default 20 s. */
  timeoutMs?: number;
  log?: ScopedLogger;
}

export interface Balance {
  free: bigint;
  reserved: bigint;
  frozen: bigint;
  /** free − frozen (what can pay a burn or a fee). */
  transferable: bigint;
}

export interface SubnetSummary {
  netuid: number;
  /** Burn registration open (the owner can close it). */
  registrationAllowed: boolean;
  /** PoW registration open. */
  powRegistrationAllowed: boolean;
  /** Current burn registration cost in rao (1 TAO = 1e9 rao). */
  burn: bigint;
  neurons: number;
  maxNeurons: number;
  tempo: number;
  difficulty: bigint;
  immunityPeriod: number | null;
}

export interface TxEvent {
  pallet: string;
  name: string;
  data: unknown;
}

export interface TxReceipt {
  action: string;
  txHash: string;
  blockHash: string;
  blockNumber: number;
  /** From `TransactionPayment.TransactionFeePaid`, when the runtime emits it. */
  feePaid: bigint | null;
  events: TxEvent[];
}

/**
 * A transaction built and priced, not yet signed: show `fee` (and `burn`, which the chain takes
 * from the coldkey on top of the fee), ask the miner, then `submit()`. `submit` waits for
 * inclusion and resolves with the block, or throws AppError in words (nothing is retried).
 */
export interface PreparedTx<R extends TxReceipt = TxReceipt> {
  action: string;
  signer: string;
  /** Estimated fee in rao (TransactionPaymentApi.query_info). */
  fee: bigint;
  /** TAO burned or charged by the call itself, in rao (0 when none). */
  burn: bigint;
  total: bigint;
  submit(options?: { timeoutMs?: number }): Promise<R>;
}

export interface RegisterReceipt extends TxReceipt {
  netuid: number;
  uid: number;
}

export type CommitmentField =
  | { kind: 'sha256' | 'blake2-256' | 'keccak-256' | 'sha3-256'; hex: string }
  | { kind: 'raw'; bytes: Uint8Array };

export interface Commitment {
  block: number;
  deposit: bigint;
  /** Each field as the chain holds it: its Data variant (e.g. `Sha256`, `Raw12`) and bytes as hex. */
  fields: { variant: string; hex: string }[];
}

export interface AxonInfo {
  ip: string;
  ipType: number;
  port: number;
  protocol: number;
  version: number;
  /** Block of the last `serve_axon`. */
  block: number;
}

export interface NeuronStanding {
  hotkey: string;
  /** null when the hotkey holds no UID on the subnet (never registered, or deregistered). */
  uid: number | null;
  coldkey: string | null;
  /** Stake on the subnet in its smallest unit (alpha on dynamic-TAO runtimes, else rao). */
  stake: bigint | null;
  stakeUnit: 'alpha' | 'rao';
  /** 0..1 */
  trust: number | null;
  incentive: number | null;
  consensus: number | null;
  dividends: number | null;
  /** Emission of the last epoch, smallest unit. */
  emission: bigint | null;
  /** Block of the neuron's last weights/activity update. */
  lastUpdate: number | null;
  active: boolean | null;
  registeredAt: number | null;
  axon: AxonInfo | null;
}

export interface Metagraph {
  netuid: number;
  block: number;
  tempo: number;
  neurons: NeuronStanding[];
}

const U16_MAX = 65_535;
const DEFAULT_TX_TIMEOUT_MS = 120_000;
/** Subtensor's `serve_axon` protocol field as the bittensor SDK sends it. */
const AXON_PROTOCOL = 4;
/** subtensor accepts PoW bound to a block at most this many blocks old (`InvalidWorkBlock` after). */
const POW_BLOCK_WINDOW = 3;

export async function connectBittensor(options: ConnectOptions): Promise<BittensorClient> {
  const { endpoint } = options;
  if (!/^wss?:\/\/[^\s/]+/.test(endpoint)) {
    throw new AppError('VALIDATION', `"${endpoint}" is not a WebSocket endpoint. Enter an address that starts with wss:// (or ws:// for a node on this machine).`);
  }
  const timeoutMs = options.timeoutMs ?? 20_000;
  // @polkadot/api (with rxjs and the type registry) loads when a Bittensor network is used, not with the app;
  // it waits for util-crypto's WASM (cryptoWaitReady), which starts now (src-main/common/wasm-crypto.ts).
  startWasmCrypto();
  const { ApiPromise, WsProvider } = await import('@polkadot/api');
  const provider = new WsProvider(endpoint, false, {}, timeoutMs);
  let api: ApiPromise | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const connecting = (async () => {
      await provider.connect();
      api = await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
      return api;
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('TIMEOUT', `No answer from ${endpoint} within ${Math.round(timeoutMs / 1000)} s. Check the address and your connection, then try again.`)), timeoutMs);
    });
    const ready = await Promise.race([connecting, timeout]);
    const client = new BittensorClient(ready, endpoint, await readIdentity(ready), options.log);
    client.assertMatches(options.expect);
    return client;
  } catch (error) {
    await (api ?? provider).disconnect().catch(() => undefined);
    if (error instanceof AppError) throw error;
    throw new AppError('NETWORK_ERROR', `Could not connect to ${endpoint}: ${error instanceof Error ? error.message : String(error)}. Check the address and that the node is running.`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function readIdentity(api: ApiPromise): Promise<ChainIdentity> {
  const [chain, header, properties] = await Promise.all([api.rpc.system.chain(), api.rpc.chain.getHeader(), api.rpc.system.properties()]);
  return {
    chain: chain.toString(),
    genesisHash: api.genesisHash.toHex(),
    specName: api.runtimeVersion.specName.toString(),
    specVersion: api.runtimeVersion.specVersion.toNumber(),
    ss58Format: properties.ss58Format.isSome ? properties.ss58Format.unwrap().toNumber() : 42,
    tokenSymbol: properties.tokenSymbol.isSome ? (properties.tokenSymbol.unwrap()[0]?.toString() ?? 'TAO') : 'TAO',
    tokenDecimals: properties.tokenDecimals.isSome ? (properties.tokenDecimals.unwrap()[0]?.toNumber() ?? 9) : 9,
    block: header.number.toNumber(),
  };
}

/** rao → "1.5 TAO" (exact: no floating point), written as every amount is (src-shared/format/amount.ts). */
export function formatTao(rao: bigint, symbol = 'TAO', decimals = 9): string {
  return amountText(formatAmount(rao, decimals), symbol);
}

const norm = (name: string) => name.replace(/_/g, '').toLowerCase();
const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;
const toBig = (codec: Codec) => BigInt(codec.toString());
const toNum = (codec: Codec) => Number(codec.toString());

export class BittensorClient {
  constructor(
    readonly api: ApiPromise,
    readonly endpoint: string,
    readonly identity: ChainIdentity,
    private readonly log?: ScopedLogger,
  ) {}

  /** Refuses, in words, an endpoint that is not the chain the profile names. */
  assertMatches(expect: ExpectedChain | undefined): void {
    const id = this.identity;
    const what = `${this.endpoint} is "${id.chain}" (genesis ${short(id.genesisHash)}, runtime ${id.specName} v${id.specVersion})`;
    if (!expect) {
      if (id.specName !== 'node-subtensor') {
        throw new AppError('NETWORK_MISMATCH', `${what}, which is not a Bittensor (subtensor) chain. Check the address.`, { details: { ...id } });
      }
      return;
    }
    const wrong: string[] = [];
    if (expect.genesisHash && expect.genesisHash.toLowerCase() !== id.genesisHash.toLowerCase()) wrong.push(`genesis ${short(expect.genesisHash)}`);
    if (expect.chain && expect.chain !== id.chain) wrong.push(`chain "${expect.chain}"`);
    if (expect.specName && expect.specName !== id.specName) wrong.push(`runtime ${expect.specName}`);
    if (wrong.length > 0) {
      throw new AppError('NETWORK_MISMATCH', `${what}, but the profile "${expect.profile}" expects ${wrong.join(', ')}. Check the address, or add this endpoint as a network of its own.`, { details: { ...id } });
    }
    if (expect.minSpecVersion !== undefined && id.specVersion < expect.minSpecVersion) {
      throw new AppError('NETWORK_MISMATCH', `${what}, older than the runtime v${expect.minSpecVersion} the profile "${expect.profile}" needs. Use an up-to-date node.`, { details: { ...id } });
    }
  }

  async disconnect(): Promise<void> {
    await this.api.disconnect();
  }

  async bestBlock(): Promise<number> {
    return (await this.api.rpc.chain.getHeader()).number.toNumber();
  }

  // ---- metadata lookups -------------------------------------------------------------------

  /** True when the runtime has this call (`pallet`, `call` in camelCase as polkadot-js names them). */
  hasCall(pallet: string, call: string): boolean {
    return this.api.tx[pallet]?.[call] !== undefined;
  }

  private call(pallet: string, method: string, named: Record<string, unknown>): SubmittableExtrinsic<'promise'> {
    const fn = this.api.tx[pallet]?.[method];
    if (!fn) {
      throw new AppError('UNSUPPORTED', `This chain's runtime (${this.identity.specName} v${this.identity.specVersion}) has no ${pallet}.${method}. Minerva cannot do this on it; update Minerva or use another endpoint.`);
    }
    const expected = fn.meta.args.map((a) => a.name.toString());
    const given = Object.keys(named);
    const missing = expected.filter((name) => !given.some((g) => norm(g) === norm(name)));
    if (missing.length > 0 || expected.length !== given.length) {
      throw new AppError('UNSUPPORTED', `This chain's ${pallet}.${method} takes (${expected.join(', ')}), not the (${given.join(', ')}) Minerva knows: the runtime changed. Update Minerva.`);
    }
    const args = expected.map((name) => named[given.find((g) => norm(g) === norm(name)) as string]);
    return fn(...args);
  }

  private storage(pallet: string, item: string) {
    const entry = this.api.query[pallet]?.[item];
    if (!entry) {
      throw new AppError('UNSUPPORTED', `This chain's runtime (${this.identity.specName} v${this.identity.specVersion}) has no storage ${pallet}.${item}. Update Minerva.`);
    }
    return entry;
  }

  private optionalStorage(pallet: string, item: string) {
    return this.api.query[pallet]?.[item];
  }

  private constant(pallet: string, name: string): Codec | undefined {
    return this.api.consts[pallet]?.[name];
  }

  // ---- reads ------------------------------------------------------------------------------

  async balance(address: string): Promise<Balance> {
    const account = (await this.storage('system', 'account')(address)) as unknown as { data: { free: Codec; reserved: Codec; frozen?: Codec; miscFrozen?: Codec } };
    const free = toBig(account.data.free);
    const reserved = toBig(account.data.reserved);
    const frozenCodec = account.data.frozen ?? account.data.miscFrozen;
    const frozen = frozenCodec ? toBig(frozenCodec) : 0n;
    return { free, reserved, frozen, transferable: free > frozen ? free - frozen : 0n };
  }

  async subnets(): Promise<SubnetSummary[]> {
    const added = await this.storage('subtensorModule', 'networksAdded').entries();
    const netuids = added.filter(([, exists]) => exists.toString() === 'true').map(([key]) => toNum(key.args[0] as Codec)).sort((a, b) => a - b);
    return Promise.all(netuids.map((netuid) => this.subnet(netuid)));
  }

  async subnet(netuid: number): Promise<SubnetSummary> {
    const q = (item: string) => this.storage('subtensorModule', item)(netuid);
    const immunity = this.optionalStorage('subtensorModule', 'immunityPeriod');
    const [exists, allowed, pow, burn, n, max, tempo, difficulty, immunityPeriod] = await Promise.all([
      q('networksAdded'),
      q('networkRegistrationAllowed'),
      q('networkPowRegistrationAllowed'),
      q('burn'),
      q('subnetworkN'),
      q('maxAllowedUids'),
      q('tempo'),
      q('difficulty'),
      immunity ? immunity(netuid) : Promise.resolve(null),
    ]);
    if (exists.toString() !== 'true') throw new AppError('NOT_FOUND', `Subnet ${netuid} does not exist on this chain. Pick a subnet from the list.`);
    return {
      netuid,
      registrationAllowed: allowed.toString() === 'true',
      powRegistrationAllowed: pow.toString() === 'true',
      burn: toBig(burn),
      neurons: toNum(n),
      maxNeurons: toNum(max),
      tempo: toNum(tempo),
      difficulty: toBig(difficulty),
      immunityPeriod: immunityPeriod ? toNum(immunityPeriod) : null,
    };
  }

  /** The hotkey's UID on the subnet, or null. */
  async uid(netuid: number, hotkey: string): Promise<number | null> {
    const value = (await this.storage('subtensorModule', 'uids')(netuid, hotkey)) as unknown as { isSome: boolean; unwrap(): Codec };
    return value.isSome ? toNum(value.unwrap()) : null;
  }

  async axon(netuid: number, hotkey: string): Promise<AxonInfo | null> {
    const raw = (await this.storage('subtensorModule', 'axons')(netuid, hotkey)) as unknown as Codec & { isNone?: boolean; isSome?: boolean; unwrap?: () => Codec };
    const value = raw.isSome !== undefined ? (raw.isSome && raw.unwrap ? raw.unwrap() : null) : raw;
    if (!value) return null;
    const axon = value as unknown as { block: Codec; ip: Codec; ipType: Codec; port: Codec; protocol: Codec; version: Codec };
    const block = toNum(axon.block);
    const ipNumber = toBig(axon.ip);
    if (block === 0 && ipNumber === 0n) return null;
    const ipType = toNum(axon.ipType);
    return { ip: axonIpToString(ipNumber, ipType), ipType, port: toNum(axon.port), protocol: toNum(axon.protocol), version: toNum(axon.version), block };
  }

  async commitment(netuid: number, hotkey: string): Promise<Commitment | null> {
    const value = (await this.storage('commitments', 'commitmentOf')(netuid, hotkey)) as unknown as { isSome: boolean; unwrap(): Codec };
    if (!value.isSome) return null;
    const reg = value.unwrap() as unknown as { block: Codec; deposit: Codec; info: { fields: (Codec & { type: string; value: Codec })[] } };
    return {
      block: toNum(reg.block),
      deposit: toBig(reg.deposit),
      fields: reg.info.fields.map((f) => ({ variant: f.type, hex: f.value.toHex() })),
    };
  }

  /** Standing of the given hotkeys on a subnet: one read of each per-subnet vector. */
  async metagraph(netuid: number, hotkeys: string[]): Promise<Metagraph> {
    const vec = async (item: string): Promise<Codec[] | null> => {
      const entry = this.optionalStorage('subtensorModule', item);
      return entry ? ((await entry(netuid)) as unknown as Codec[]) : null;
    };
    const [block, tempo, trust, incentive, consensus, dividends, emission, lastUpdate, active] = await Promise.all([
      this.bestBlock(),
      this.storage('subtensorModule', 'tempo')(netuid),
      vec('trust'),
      vec('incentive'),
      vec('consensus'),
      vec('dividends'),
      vec('emission'),
      vec('lastUpdate'),
      vec('active'),
    ]);
    const at = <T>(list: Codec[] | null, uid: number | null, map: (c: Codec) => T): T | null => {
      if (list === null || uid === null) return null;
      const item = list[uid];
      return item === undefined ? null : map(item);
    };
    const ratio = (c: Codec) => toNum(c) / U16_MAX;
    const alphaStake = this.optionalStorage('subtensorModule', 'totalHotkeyAlpha');
    const legacyStake = this.optionalStorage('subtensorModule', 'totalHotkeyStake');
    const owner = this.optionalStorage('subtensorModule', 'owner');
    const registeredAt = this.optionalStorage('subtensorModule', 'blockAtRegistration');
    const neurons = await Promise.all(
      hotkeys.map(async (hotkey): Promise<NeuronStanding> => {
        const uid = await this.uid(netuid, hotkey);
        const [stake, coldkey, regBlock, axon] = await Promise.all([
          alphaStake ? alphaStake(hotkey, netuid).then(toBig) : legacyStake ? legacyStake(hotkey).then(toBig) : Promise.resolve(null),
          owner ? owner(hotkey).then((c) => c.toString()) : Promise.resolve(null),
          registeredAt && uid !== null ? registeredAt(netuid, uid).then(toNum) : Promise.resolve(null),
          this.axon(netuid, hotkey),
        ]);
        return {
          hotkey,
          uid,
          coldkey: coldkey && !/^5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM$/.test(coldkey) ? coldkey : null,
          stake,
          stakeUnit: alphaStake ? 'alpha' : 'rao',
          trust: at(trust, uid, ratio),
          incentive: at(incentive, uid, ratio),
          consensus: at(consensus, uid, ratio),
          dividends: at(dividends, uid, ratio),
          emission: at(emission, uid, toBig),
          lastUpdate: at(lastUpdate, uid, toNum),
          active: at(active, uid, (c) => c.toString() === 'true'),
          registeredAt: regBlock,
          axon,
        };
      }),
    );
    return { netuid, block, tempo: toNum(tempo), neurons };
  }

  // ---- transactions -----------------------------------------------------------------------

  /**
   * `SubtensorModule.burned_register(netuid, hotkey)`, signed by the coldkey, which pays the
   * subnet's burn on top of the fee. Checks first (unless `check: false`): the subnet exists and
   * is open, the hotkey is not registered there, the coldkey holds burn + fee. `submit` re-reads
   * the burn and refuses when it rose above the one shown (`maxBurn`, default: the burn priced now).
   */
  async prepareBurnedRegister(input: { netuid: number; hotkey: string; coldkey: ChainSigner; maxBurn?: bigint; check?: boolean }): Promise<PreparedTx<RegisterReceipt>> {
    const { netuid, hotkey, coldkey } = input;
    const action = `Registering hotkey ${short(hotkey)} on subnet ${netuid}`;
    const ctx: ChainErrorContext = { action, netuid };
    const tx = this.call('subtensorModule', 'burnedRegister', { netuid, hotkey });
    const subnet = await this.subnet(netuid);
    const burn = subnet.burn;
    const fee = await this.fee(tx, coldkey.address);
    const maxBurn = input.maxBurn ?? burn;
    if (input.check !== false) {
      if (netuid === 0) throw new AppError('FORBIDDEN', `${action}: miners cannot register on the root subnet (0). Pick a mining subnet.`);
      if (!subnet.registrationAllowed) throw new AppError('FORBIDDEN', `${action}: subnet ${netuid} does not accept burn registrations right now. Try later or pick another subnet.`);
      const uid = await this.uid(netuid, hotkey);
      if (uid !== null) throw new AppError('CONFLICT', `${action}: this hotkey is already registered on subnet ${netuid} (UID ${uid}). Nothing to do; nothing was sent.`, { details: { reason: 'HotKeyAlreadyRegisteredInSubNet', uid } });
      await this.assertCanPay(coldkey.address, burn + fee, `${action} costs ${this.tao(burn)} (burned) + ${this.tao(fee)} fee`);
    }
    return this.prepared(action, coldkey, fee, burn, async (options) => {
      const now = (await this.subnet(netuid)).burn;
      if (now > maxBurn) {
        throw new AppError('CONFLICT', `${action}: the registration cost rose from ${this.tao(maxBurn)} to ${this.tao(now)} since it was shown. Nothing was sent; confirm the new cost to go on.`, { details: { reason: 'burn-rose' } });
      }
      const receipt = await this.send(tx, coldkey, ctx, options?.timeoutMs);
      const registered = receipt.events.find((e) => e.pallet === 'subtensorModule' && e.name === 'NeuronRegistered');
      const uid = (await this.uid(netuid, hotkey)) ?? (Array.isArray(registered?.data) ? Number(registered.data[1]) : null);
      if (uid === null) throw new AppError('INTERNAL', `${action}: the transaction was included in block ${receipt.blockNumber}, but the hotkey holds no UID. Check the subnet.`);
      return { ...receipt, netuid, uid };
    });
  }

  /**
   * What a PoW `register` must be bound to: the best block, its hash, the hotkey's public key and
   * the subnet's difficulty (expected attempts). Refused in words when the subnet does not take
   * PoW registrations or the hotkey is already there.
   */
  async powChallenge(netuid: number, hotkey: string): Promise<PowChallenge> {
    const action = `Registering hotkey ${short(hotkey)} on subnet ${netuid} by proof of work`;
    this.call('subtensorModule', 'register', { netuid, block_number: 0, nonce: 0, work: '0x', hotkey, coldkey: hotkey });
    const subnet = await this.subnet(netuid);
    if (netuid === 0) throw new AppError('FORBIDDEN', `${action}: miners cannot register on the root subnet (0). Pick a mining subnet.`);
    if (!subnet.powRegistrationAllowed) {
      throw new AppError('FORBIDDEN', `${action}: subnet ${netuid} does not accept proof-of-work registrations (its owner allows only registration by burn). Register by burn instead.`, { details: { reason: 'pow-not-allowed' } });
    }
    const uid = await this.uid(netuid, hotkey);
    if (uid !== null) throw new AppError('CONFLICT', `${action}: this hotkey is already registered on subnet ${netuid} (UID ${uid}). Nothing to do; nothing was sent.`, { details: { reason: 'HotKeyAlreadyRegisteredInSubNet', uid } });
    const header = await this.api.rpc.chain.getHeader();
    return { block: header.number.toNumber(), blockHash: header.hash.toHex(), hotkey: u8aToHex(decodeAddress(hotkey)), difficulty: subnet.difficulty };
  }

  /**
   * `SubtensorModule.register(netuid, block_number, nonce, work, hotkey, coldkey)` with a solved
   * proof of work, signed by the hotkey (the call's own doc: "the signature of the calling
   * hotkey"); no TAO is burned. The chain accepts work bound to one of the last 3 blocks: an older
   * solution is refused here in words (solve again), before anything is signed.
   */
  async preparePowRegister(input: { netuid: number; hotkey: ChainSigner; coldkey: string; solution: PowSolution; check?: boolean }): Promise<PreparedTx<RegisterReceipt>> {
    const { netuid, hotkey, coldkey, solution } = input;
    const action = `Registering hotkey ${short(hotkey.address)} on subnet ${netuid} by proof of work`;
    const ctx: ChainErrorContext = { action, netuid };
    const tx = this.call('subtensorModule', 'register', { netuid, block_number: solution.block, nonce: solution.nonce, work: solution.seal, hotkey: hotkey.address, coldkey });
    if (input.check !== false) {
      const head = await this.bestBlock();
      if (head - solution.block >= POW_BLOCK_WINDOW) {
        throw new AppError('CONFLICT', `${action}: the work was done on block ${solution.block}, and the chain accepts only work on the last ${POW_BLOCK_WINDOW} blocks (it is at ${head} now). Nothing was sent; solve again.`, { details: { reason: 'InvalidWorkBlock' } });
      }
    }
    const fee = await this.fee(tx, hotkey.address);
    return this.prepared(action, hotkey, fee, 0n, async (options) => {
      const receipt = await this.send(tx, hotkey, ctx, options?.timeoutMs);
      const uid = await this.uid(netuid, hotkey.address);
      if (uid === null) throw new AppError('INTERNAL', `${action}: the transaction was included in block ${receipt.blockNumber}, but the hotkey holds no UID. Check the subnet.`);
      return { ...receipt, netuid, uid };
    });
  }

  /**
   * `SubtensorModule.serve_axon`, signed by the hotkey. The address is checked before anything
   * is signed: loopback, private and other non-public addresses are refused in words
   * (`allowNonPublic` lets the chain answer instead, for tests of its own rule).
   */
  async prepareServeAxon(input: { netuid: number; hotkey: ChainSigner; ip: string; port: number; version?: number; protocol?: number; allowNonPublic?: boolean; check?: boolean }): Promise<PreparedTx> {
    const { netuid, hotkey } = input;
    const address = checkAxonAddress(input.ip, input.port, { allowNonPublic: input.allowNonPublic === true });
    const action = `Serving the axon ${address.ipType === 6 ? `[${address.ip}]` : address.ip}:${address.port} of hotkey ${short(hotkey.address)} on subnet ${netuid}`;
    const limit = this.optionalStorage('subtensorModule', 'servingRateLimit');
    const ctx: ChainErrorContext = { action, netuid, ...(limit ? { waitBlocks: toNum(await limit(netuid)) } : {}) };
    const tx = this.call('subtensorModule', 'serveAxon', {
      netuid,
      version: input.version ?? 0,
      ip: address.ipNumber,
      port: address.port,
      ip_type: address.ipType,
      protocol: input.protocol ?? AXON_PROTOCOL,
      placeholder1: 0,
      placeholder2: 0,
    });
    if (input.check !== false) {
      const uid = await this.uid(netuid, hotkey.address);
      if (uid === null) throw new AppError('NOT_FOUND', `${action}: this hotkey is not registered on subnet ${netuid}. Register it first; nothing was sent.`, { details: { reason: 'HotKeyNotRegisteredInSubNet' } });
    }
    const fee = await this.fee(tx, hotkey.address);
    if (input.check !== false) await this.assertCanPay(hotkey.address, fee, `${action} costs a ${this.tao(fee)} fee`);
    return this.prepared(action, hotkey, fee, 0n, (options) => this.send(tx, hotkey, ctx, options?.timeoutMs));
  }

  /**
   * `SubtensorModule.swap_hotkey(hotkey, new_hotkey)`, signed by the coldkey that owns the old
   * hotkey: the chain moves its UIDs and stake to the new one (the chain side of rotation).
   */
  async prepareSwapHotkey(input: { oldHotkey: string; newHotkey: string; coldkey: ChainSigner; check?: boolean }): Promise<PreparedTx> {
    const { oldHotkey, newHotkey, coldkey } = input;
    const action = `Swapping hotkey ${short(oldHotkey)} for ${short(newHotkey)}`;
    const tx = this.call('subtensorModule', 'swapHotkey', { hotkey: oldHotkey, new_hotkey: newHotkey });
    const cost = this.constant('subtensorModule', 'keySwapCost');
    const burn = cost ? toBig(cost) : 0n;
    const fee = await this.fee(tx, coldkey.address);
    if (input.check !== false) {
      if (oldHotkey === newHotkey) throw new AppError('VALIDATION', `${action}: the new hotkey is the same as the old one. Rotate to a new hotkey first; nothing was sent.`);
      const owner = this.optionalStorage('subtensorModule', 'owner');
      if (owner) {
        const current = (await owner(oldHotkey)).toString();
        if (current !== coldkey.address) {
          throw new AppError('FORBIDDEN', `${action}: the old hotkey is not owned by the coldkey ${short(coldkey.address)} on this chain. Sign with the coldkey that registered it; nothing was sent.`, { details: { reason: 'NonAssociatedColdKey' } });
        }
      }
      await this.assertCanPay(coldkey.address, burn + fee, `${action} costs ${this.tao(burn)} + ${this.tao(fee)} fee`);
    }
    const ctx: ChainErrorContext = { action, ...(await this.swapWait(coldkey.address)) };
    return this.prepared(action, coldkey, fee, burn, (options) => this.send(tx, coldkey, ctx, options?.timeoutMs));
  }

  /**
   * The blocks left before the chain takes another `swap_hotkey` from this coldkey: the runtime
   * refuses it (`HotKeySetTxRateLimitExceeded`) until `LastTxBlock(coldkey) + TxRateLimit` has
   * passed. Read from storage; nothing when the runtime has neither item or the limit is 0.
   */
  private async swapWait(coldkey: string): Promise<{ waitBlocks?: number }> {
    const limitOf = this.optionalStorage('subtensorModule', 'txRateLimit');
    const lastOf = this.optionalStorage('subtensorModule', 'lastTxBlock');
    if (!limitOf || !lastOf) return {};
    const [limit, last, best] = await Promise.all([limitOf(), lastOf(coldkey), this.bestBlock()]);
    const blocks = toNum(limit);
    if (blocks === 0) return {};
    return { waitBlocks: Math.max(1, toNum(last) + blocks - best) };
  }

  /**
   * `Commitments.set_commitment(netuid, { fields })`, signed by the hotkey (which must be
   * registered on the subnet). Connito-style checkpoint commits use one `sha256` field.
   */
  async prepareSetCommitment(input: { netuid: number; hotkey: ChainSigner; fields: CommitmentField[]; check?: boolean }): Promise<PreparedTx> {
    const { netuid, hotkey } = input;
    const action = `Committing on subnet ${netuid} with hotkey ${short(hotkey.address)}`;
    const rate = this.constant('commitments', 'rateLimit');
    const ctx: ChainErrorContext = { action, netuid, ...(rate ? { waitBlocks: toNum(rate) } : {}) };
    const max = this.constant('commitments', 'maxFields');
    if (max && input.fields.length > toNum(max)) throw new AppError('VALIDATION', `${action}: this chain allows ${toNum(max)} field(s) per commitment, not ${input.fields.length}. Nothing was sent.`);
    const fields = input.fields.map((f) => dataVariant(f));
    let tx: SubmittableExtrinsic<'promise'>;
    try {
      tx = this.call('commitments', 'setCommitment', { netuid, info: { fields } });
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('UNSUPPORTED', `${action}: this chain's commitments do not take this kind of field (${input.fields.map((f) => f.kind).join(', ')}). Update Minerva.`, { cause: error });
    }
    if (input.check !== false) {
      const uid = await this.uid(netuid, hotkey.address);
      if (uid === null) throw new AppError('FORBIDDEN', `${action}: only hotkeys registered on subnet ${netuid} may commit there. Register this hotkey first; nothing was sent.`, { details: { reason: 'AccountNotAllowedCommit' } });
    }
    const fee = await this.fee(tx, hotkey.address);
    return this.prepared(action, hotkey, fee, 0n, (options) => this.send(tx, hotkey, ctx, options?.timeoutMs));
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private tao(rao: bigint): string {
    return formatTao(rao, this.identity.tokenSymbol, this.identity.tokenDecimals);
  }

  private async fee(tx: SubmittableExtrinsic<'promise'>, signer: string): Promise<bigint> {
    try {
      const info = await tx.paymentInfo(signer);
      return toBig(info.partialFee);
    } catch (error) {
      throw new AppError('NETWORK_ERROR', `Could not estimate the fee on ${this.endpoint}: ${error instanceof Error ? error.message : String(error)}. Nothing was sent; try again.`, { cause: error });
    }
  }

  private async assertCanPay(address: string, needed: bigint, what: string): Promise<void> {
    const { transferable } = await this.balance(address);
    if (transferable < needed) {
      throw new AppError('INSUFFICIENT_FUNDS', `${what}, but ${short(address)} holds ${this.tao(transferable)}. Send at least ${this.tao(needed - transferable)} more to it, then try again; nothing was sent.`, { details: { reason: 'insufficient-balance' } });
    }
  }

  private prepared<R extends TxReceipt>(action: string, signer: ChainSigner, fee: bigint, burn: bigint, submit: (options?: { timeoutMs?: number }) => Promise<R>): PreparedTx<R> {
    let used = false;
    return {
      action,
      signer: signer.address,
      fee,
      burn,
      total: fee + burn,
      submit: (options) => {
        if (used) return Promise.reject(new AppError('CONFLICT', `${action}: this transaction was already submitted. Prepare it again to send another.`));
        used = true;
        return submit(options);
      },
    };
  }

  private async send(tx: SubmittableExtrinsic<'promise'>, key: ChainSigner, ctx: ChainErrorContext, timeoutMs = DEFAULT_TX_TIMEOUT_MS): Promise<TxReceipt> {
    // The node's next index for the account (counts its pool), read fresh for each transaction.
    const nonce = (await this.api.rpc.system.accountNextIndex(key.address)).toNumber();
    const signer = toPolkadotSigner(this.api.registry, key);
    this.log?.info('tx.submit', { action: ctx.action, nonce });
    return new Promise<TxReceipt>((resolve, reject) => {
      let settled = false;
      let unsubscribe: (() => void) | undefined;
      const finish = (error: AppError | null, receipt?: TxReceipt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe?.();
        if (error) {
          this.log?.warn('tx.failed', { action: ctx.action, code: error.code, ...error.details });
          reject(error);
        } else if (receipt) {
          this.log?.info('tx.included', { action: ctx.action, block: receipt.blockNumber });
          resolve(receipt);
        }
      };
      const timer = setTimeout(() => {
        finish(new AppError('TIMEOUT', `${ctx.action}: not included within ${Math.round(timeoutMs / 1000)} s. It may still be included: check the chain before sending it again.`));
      }, timeoutMs);
      const onStatus = (result: ISubmittableResult) => {
        const status = result.status;
        if (status.isInBlock || status.isFinalized) {
          const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
          void this.receipt(result, blockHash, ctx).then(
            (receipt) => finish(null, receipt),
            (error: unknown) => finish(error instanceof AppError ? error : poolErrorToAppError(error, ctx)),
          );
        } else if (status.isInvalid || status.isDropped || status.isUsurped) {
          finish(poolErrorToAppError(new Error(status.type), ctx));
        }
      };
      tx.signAndSend(key.address, { signer, nonce }, onStatus).then(
        (unsub) => {
          if (settled) unsub();
          else unsubscribe = unsub;
        },
        (error: unknown) => finish(poolErrorToAppError(error, ctx)),
      );
    });
  }

  private async receipt(result: ISubmittableResult, blockHash: string, ctx: ChainErrorContext): Promise<TxReceipt> {
    const header = await this.api.rpc.chain.getHeader(blockHash);
    const block = { number: header.number.toNumber(), hash: blockHash };
    if (result.dispatchError) throw dispatchErrorToAppError(this.api, result.dispatchError, ctx, block);
    let feePaid: bigint | null = null;
    const events = result.events.map(({ event }) => {
      if (event.section === 'transactionPayment' && event.method === 'TransactionFeePaid') {
        const fee = event.data[1];
        if (fee) feePaid = toBig(fee);
      }
      return { pallet: event.section, name: event.method, data: event.data.toJSON() };
    });
    return { action: ctx.action, txHash: result.txHash.toHex(), blockHash, blockNumber: block.number, feePaid, events };
  }
}

/** A commitment field as the `Data` enum variant of pallet-commitments. */
function dataVariant(field: CommitmentField): Record<string, string> {
  if (field.kind === 'raw') {
    if (field.bytes.length > 128) throw new AppError('VALIDATION', `A raw commitment field holds at most 128 bytes, not ${field.bytes.length}.`);
    return { [`Raw${field.bytes.length}`]: `0x${Buffer.from(field.bytes).toString('hex')}` };
  }
  const hex = field.hex.replace(/^0x/, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new AppError('VALIDATION', `A ${field.kind} commitment is 32 bytes (64 hex digits); got "${field.hex.slice(0, 80)}".`);
  const variant = { sha256: 'Sha256', 'blake2-256': 'BlakeTwo256', 'keccak-256': 'Keccak256', 'sha3-256': 'ShaThree256' }[field.kind];
  return { [variant]: `0x${hex}` };
}
