/**
 * Nothing is reported twice: when our lease runs out (the wallet stayed locked mid-job) and
 * another miner takes the job and reports it, our late result is refused by the router and the
 * job ends here as LEASE_LOST — the caller gets the other miner's answer, once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrivateKey } from '@shared/protocol/eip191';
import { model, TestMiner } from '../devnet/router/miner-client';
import { call, completion, joinInference, PASSWORD, SESSION, startParties, untilJobs, type Parties } from './harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

const OTHER_KEY = parsePrivateKey(`0x${'42'.repeat(32)}`);

describe('lease lost', () => {
  it('a job another miner finished after our lease ran out ends LEASE_LOST here and is reported once', async () => {
    const other = new TestMiner('', OTHER_KEY);
    parties = await startParties({ proxy: true, router: { leaseMs: 1500, env: { ENCRYPTION_ALLOWED_LIST: `${SESSION}:${other.address}` } }, env: { MINERVA_INFERENCE_LEASE_RENEW_MS: '300' } });
    const { core, network, token, proxy } = parties;
    const routerUrl = network.endpoints.router!;
    await joinInference(core);

    proxy!.rule(/^PUT \/api\/v2\/offchain(\/|$)/, 'hold');
    const answer = completion(routerUrl, token, 'who answers this one', 60);
    const [ours] = await untilJobs(core, (js) => js.length === 1 && js[0]!.state === 'upload' && proxy!.held() > 0);
    // Our renewals stop while the wallet is locked; the lease runs out and the other miner takes the job.
    await call(core, 'vault.lock');
    await new Promise((r) => setTimeout(r, 2000));
    const miner = new TestMiner(routerUrl, OTHER_KEY);
    const { jobs } = await miner.poll(5, 1);
    expect(jobs.map((j) => j.job_id)).toEqual([ours!.jobId]);
    const reported = await miner.report(jobs[0]!.job_id, await miner.compute(jobs[0]!));
    expect(reported.status).toBe(200);
    expect((await answer).json.output).toBe(model('who answers this one').output);

    proxy!.clear();
    proxy!.release();
    await call(core, 'vault.unlock', { password: PASSWORD });
    const [ended] = await untilJobs(core, (js) => js[0]?.state === 'failed');
    expect(ended!.error?.code).toBe('LEASE_LOST');
    const view = (await (await fetch(`${routerUrl}/api/v2/sessions/${SESSION}/tasks/${ours!.taskId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string; result: { urn: string } };
    expect(view.state).toBe('done');
    expect(view.result.urn).not.toBe(ended!.resultUrn);
  });
});
