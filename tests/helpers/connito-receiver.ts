import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { decodeAddress, signatureVerify } from '@polkadot/util-crypto';

/**
 * A Connito validator's `/submit` as PROTOCOLS §3 describes it, written from the spec alone (not
 * from the app's code), for tests against the chopsticks chain: it builds the canonical bytes
 * itself, decodes b64url with Node, verifies with polkadot's `signatureVerify` using the key of the
 * hotkey registered on the subnet, and reads the head and `CommitmentOf` through @polkadot/api.
 * It also serves the checkpoint file (the miner's own download address). Checks 4 and 6 (download
 * limits, evaluation) are not done: every submission that passes is "accepted" with score 0.5.
 */
export interface ConnitoReceiver {
  url: string;
  fileUrl: string;
  received: { body: Record<string, unknown>; problems: string[] }[];
  close(): Promise<void>;
}

type CommitmentsQuery = { commitmentOf(netuid: number, hotkey: string): Promise<unknown> };
type UidsQuery = { uids(netuid: number, hotkey: string): Promise<{ isNone: boolean }> };

export async function startConnitoReceiver(chainUrl: string, netuid: number, file: Buffer, fileSha: string): Promise<ConnitoReceiver> {
  const api = await ApiPromise.create({ provider: new WsProvider(chainUrl), noInitWarn: true });
  const received: ConnitoReceiver['received'] = [];

  async function judge(body: Record<string, unknown>): Promise<string[]> {
    const problems: string[] = [];
    const keys = Object.keys(body).sort();
    if (keys.join(',') !== 'block_number,checkpoint_url,expert_group,hotkey,signature') problems.push(`keys ${keys.join(',')}`);
    const { hotkey, expert_group: group, checkpoint_url: url, block_number: block, signature } = body as { hotkey: string; expert_group: string; checkpoint_url: string; block_number: number; signature: string };
    if ((await (api.query.subtensorModule as unknown as UidsQuery).uids(netuid, hotkey)).isNone) problems.push('UNKNOWN_HOTKEY');
    const head = (await api.rpc.chain.getHeader()).number.toNumber();
    if (Math.abs(head - block) > 10) problems.push(`BLOCK_WINDOW head ${head} block ${block}`);
    if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) problems.push(`signature is not unpadded b64url of 64 bytes: ${signature}`);
    const canonical = Buffer.from(`${hotkey}:${group}:${url}:${block}`, 'utf8');
    const verified = signatureVerify(canonical, Buffer.from(signature, 'base64url'), decodeAddress(hotkey));
    if (!verified.isValid || verified.crypto !== 'sr25519') problems.push(`SIGNATURE_INVALID (${verified.crypto})`);
    const commitment = (await (api.query.commitments as unknown as CommitmentsQuery).commitmentOf(netuid, hotkey)) as { isSome: boolean; unwrap(): { info: { fields: { isSha256: boolean; asSha256: { toHex(): string } }[] } } };
    const field = commitment.isSome ? commitment.unwrap().info.fields[0] : undefined;
    if (!field?.isSha256 || field.asSha256.toHex() !== `0x${fileSha}`) problems.push('HASH_MISMATCH or NO_COMMITMENT');
    return problems;
  }

  const server: Server = createServer((req, res) => {
    const answer = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.method === 'GET' && req.url === '/files/model.ckpt') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.length) });
      res.end(file);
      return;
    }
    if (req.method === 'POST' && req.url === '/submit') {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        void judge(body).then((problems) => {
          received.push({ body, problems });
          if (problems.length > 0) answer(400, { error: { code: 'SIGNATURE_INVALID', message: problems.join('; ') } });
          else answer(202, { submission_id: `sub-${received.length}` });
        });
      });
      return;
    }
    const m = /^\/submissions\/sub-(\d+)$/.exec(req.url ?? '');
    const got = m ? received[Number(m[1]) - 1] : undefined;
    if (req.method === 'GET' && got) {
      const b = got.body as { hotkey: string; expert_group: string; checkpoint_url: string; block_number: number };
      answer(200, { submission_id: `sub-${m?.[1]}`, competition_id: `connito-sn${netuid}`, status: 'accepted', score: 0.5, loss: 2.0, round: 0, hotkey: b.hotkey, expert_group: b.expert_group, block_number: b.block_number, checkpoint_url: b.checkpoint_url, received_at: new Date().toISOString() });
      return;
    }
    answer(404, { error: { code: 'NOT_FOUND', message: 'no such thing' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    fileUrl: `${url}/files/model.ckpt`,
    received,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await api.disconnect();
    },
  };
}
