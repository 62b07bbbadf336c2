/**
 * Where newer versions come from, behind one interface so tests replace every source with a
 * fake (test/engine/updates.test.ts) and the job never reaches the network there.
 *
 * - k3s: the release channels of k3s' channel server, `https://update.k3s.io/v1-release/channels`.
 *   rancher/channelserver serves its channels config (pkg/model/config.go: Channel{name, latest,
 *   latestRegexp, excludeRegexp}) as a rancher/apiserver collection whose `data` items carry
 *   `id` = the channel's name (pkg/server/store/channel/store.go, List). k3s' own channel config
 *   (k3s-io/k3s channel.yaml) names one channel per minor, `v1.<minor>`, whose `latest` is the
 *   newest release of that minor without a pre-release suffix (excludeRegexp `^[^+]+-`).
 * - Ubuntu AMIs: Canonical's public SSM parameter
 *   `/aws/service/canonical/ubuntu/server/24.04/stable/current/<arch>/hvm/ebs-gp3/ami-id`,
 *   the same one the stack resolves at launch when no AMI is pinned (infra/compute.ts).
 */
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";

export const K3S_CHANNELS_URL = "https://update.k3s.io/v1-release/channels";

export interface K3sChannel {
  id: string;
  name?: string;
  latest?: string;
}

export interface UpdateSources {
  /** The k3s release channels (the `data` of the channels collection). */
  k3sChannels(): Promise<K3sChannel[]>;
  /** The current Ubuntu 24.04 AMI of a region and architecture. */
  ubuntuAmi(region: string, arch: "amd64" | "arm64"): Promise<string>;
}

export function ubuntuAmiParameter(arch: "amd64" | "arm64"): string {
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${arch}/hvm/ebs-gp3/ami-id`;
}

/** Real sources: HTTPS for the channels, the SSM API (public parameter) for the AMI. */
export function defaultSources(fetchImpl: typeof fetch = fetch): UpdateSources {
  const ssm = new Map<string, SSMClient>();
  return {
    async k3sChannels() {
      const response = await fetchImpl(K3S_CHANNELS_URL, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) throw new Error(`${K3S_CHANNELS_URL} answered ${response.status}`);
      const body = (await response.json()) as { data?: unknown };
      if (!Array.isArray(body.data)) throw new Error(`${K3S_CHANNELS_URL}: no data array`);
      return body.data as K3sChannel[];
    },
    async ubuntuAmi(region, arch) {
      let client = ssm.get(region);
      if (!client) {
        client = new SSMClient({ region });
        ssm.set(region, client);
      }
      const out = await client.send(new GetParameterCommand({ Name: ubuntuAmiParameter(arch) }));
      const value = out.Parameter?.Value ?? "";
      if (!/^ami-[0-9a-f]{8,17}$/.test(value)) {
        throw new Error(`${ubuntuAmiParameter(arch)} in ${region} is not an AMI id: ${value}`);
      }
      return value;
    },
  };
}
