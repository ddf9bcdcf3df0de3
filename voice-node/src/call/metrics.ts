/**
 * The voice node's Prometheus metrics: active calls (the autoscaling signal), call outcomes, turn
 * latency and barge-in reaction histograms, bad frames, backchannels and provider failures. Kept in
 * process and rendered in the text exposition format on `/metrics`.
 */
const LATENCY_BUCKETS_MS = [50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000];
const REACTION_BUCKETS_MS = [10, 20, 40, 60, 80, 100, 150, 250, 400, 600, 1000];

function histogram(buckets: number[]) {
  const counts = new Array<number>(buckets.length).fill(0);
  let sum = 0;
  let count = 0;
  return {
    observe(value: number) {
      sum += value;
      count += 1;
      for (let index = 0; index < buckets.length; index += 1) {
        if (value <= (buckets[index] ?? 0)) counts[index] = (counts[index] ?? 0) + 1;
      }
    },
    render(name: string, help: string): string[] {
      const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
      buckets.forEach((bucket, index) => {
        lines.push(`${name}_bucket{le="${bucket / 1000}"} ${counts[index] ?? 0}`);
      });
      lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${sum / 1000}`, `${name}_count ${count}`);
      return lines;
    },
  };
}

export function createVoiceMetrics() {
  let active = 0;
  let badFrames = 0;
  let backchannels = 0;
  let providerFailures = 0;
  let rejected = 0;
  const ended = new Map<string, number>();
  const latency = histogram(LATENCY_BUCKETS_MS);
  const reaction = histogram(REACTION_BUCKETS_MS);
  const added = histogram(REACTION_BUCKETS_MS);
  const jitter = histogram([1, 2, 5, 10, 20, 40, 80]);
  return {
    activeCalls: () => active,
    callStarted() {
      active += 1;
    },
    callEnded(reason: string) {
      active = Math.max(0, active - 1);
      ended.set(reason, (ended.get(reason) ?? 0) + 1);
    },
    rejected() {
      rejected += 1;
    },
    badFrame() {
      badFrames += 1;
    },
    backchannel() {
      backchannels += 1;
    },
    providerFailure() {
      providerFailures += 1;
    },
    turnLatency(ms: number) {
      latency.observe(ms);
    },
    bargeIn(ms: number) {
      reaction.observe(ms);
    },
    serverAdded(ms: number) {
      added.observe(ms);
    },
    /** Outbound frame send lateness against the pacer's schedule, per frame. */
    frameJitter(samples: ArrayLike<number>) {
      for (let index = 0; index < samples.length; index += 1) jitter.observe(Math.abs(samples[index] ?? 0));
    },
    render(draining: boolean): string {
      const lines = [
        '# HELP lumay_voice_active_calls Calls currently connected to this node.',
        '# TYPE lumay_voice_active_calls gauge',
        `lumay_voice_active_calls ${active}`,
        '# HELP lumay_voice_draining 1 while the node drains before shutdown.',
        '# TYPE lumay_voice_draining gauge',
        `lumay_voice_draining ${draining ? 1 : 0}`,
        '# HELP lumay_voice_calls_ended_total Calls ended, by reason.',
        '# TYPE lumay_voice_calls_ended_total counter',
        ...[...ended].map(([reason, count]) => `lumay_voice_calls_ended_total{reason="${reason}"} ${count}`),
        '# HELP lumay_voice_streams_rejected_total WebSocket upgrades and streams refused (signature, token).',
        '# TYPE lumay_voice_streams_rejected_total counter',
        `lumay_voice_streams_rejected_total ${rejected}`,
        '# HELP lumay_voice_bad_frames_total Media Streams messages dropped as malformed or out of order.',
        '# TYPE lumay_voice_bad_frames_total counter',
        `lumay_voice_bad_frames_total ${badFrames}`,
        '# HELP lumay_voice_backchannels_total Caller backchannels that did not interrupt.',
        '# TYPE lumay_voice_backchannels_total counter',
        `lumay_voice_backchannels_total ${backchannels}`,
        '# HELP lumay_voice_provider_failures_total Calls that hit a speech, model or engine failure.',
        '# TYPE lumay_voice_provider_failures_total counter',
        `lumay_voice_provider_failures_total ${providerFailures}`,
        ...latency.render(
          'lumay_voice_turn_response_seconds',
          'Caller stopped speaking to first audio frame sent, per turn.',
        ),
        ...reaction.render('lumay_voice_barge_in_reaction_seconds', 'Caller speech onset to clear sent.'),
        ...added.render(
          'lumay_voice_turn_server_added_seconds',
          'Response time minus end-of-turn silence and speech provider time, per turn.',
        ),
        ...jitter.render(
          'lumay_voice_frame_send_jitter_seconds',
          'Outbound frame send lateness against the pacer clock.',
        ),
        '',
      ];
      return lines.join('\n');
    },
  };
}

export type VoiceMetrics = ReturnType<typeof createVoiceMetrics>;
