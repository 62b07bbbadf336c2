/** Ports the cluster uses, named once (k3s "Inbound rules for k3s nodes", docs.k3s.io). */
export const PORTS = {
  kubernetesApi: 6443,
  etcdClient: 2379,
  etcdPeer: 2380,
  flannelVxlan: 8472,
  kubelet: 10250,
  postgres: 5432,
  nfs: 2049,
  http: 80,
  https: 443,
  /** NodePorts of the ingress controller's Service; the bootstrap pins them to these values. */
  ingressHttpNodePort: 30080,
  ingressHttpsNodePort: 30443,
} as const;
