/**
 * The GitOps files: golden files for both examples, every manifest checked against the fields of
 * its schema (Argo CD CRDs, Kubernetes ConfigMap, JCasC of the Kubernetes plugin), consistency with
 * the bootstrap that installs Argo CD and Jenkins, and the `render` CLI.
 *
 * Golden files live in test/fixtures/gitops/<example>/ under the paths the bot commits. After an
 * intended change, regenerate them and review the diff:
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/gitops/render.test.ts
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { z } from "zod";
import { runCli } from "../../../app/cli/main";
import { loadDefinition, loadDefinitionFile } from "../../../app/engine/definitions/load";
import {
  appsPath,
  ROOT_PROJECT,
  renderClusterFiles,
  UNKNOWN_OUTPUT,
} from "../../../app/engine/gitops/render";
import type { ClusterConfig } from "../../../infra/definition/config";

const REPO_URL = "https://github.com/acme/platform.git";
const FIXTURES = new URL("../../fixtures/gitops/", import.meta.url).pathname;

/** Outputs as `terraform output -json` values would give them (fixed for the golden files). */
const OUTPUTS: Record<string, Record<string, unknown>> = {
  dev: {
    cluster_name: "dev",
    api_endpoint: "dev-api-0123456789abcdef.elb.eu-central-1.amazonaws.com",
    api_url: "https://dev-api-0123456789abcdef.elb.eu-central-1.amazonaws.com:6443",
    ingress_dns: "dev-ingress-0123456789abcdef.elb.eu-central-1.amazonaws.com",
    efs_id: "fs-0123456789abcdef0",
    kubeconfig_secret_arn: "(sensitive)",
  },
  ha: {
    cluster_name: "ha",
    api_endpoint: "ha-api-fedcba9876543210.elb.eu-central-1.amazonaws.com",
    api_url: "https://ha-api-fedcba9876543210.elb.eu-central-1.amazonaws.com:6443",
    ingress_dns: "ha-ingress-fedcba9876543210.elb.eu-central-1.amazonaws.com",
    efs_id: "fs-0fedcba9876543210",
  },
};

function example(name: string): ClusterConfig {
  const loaded = loadDefinitionFile(`examples/clusters/${name}.yaml`);
  if (!loaded.ok) throw new Error(`examples/clusters/${name}.yaml is invalid`);
  return loaded.config;
}

function withAddons(config: ClusterConfig, addons: Partial<ClusterConfig["addons"]>) {
  return { ...config, addons: { ...config.addons, ...addons } };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

// ---- Schemas: only the fields we use, strict where a typo would go unnoticed. ----

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
const metadata = z.object({
  name: k8sName,
  namespace: k8sName,
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
const IN_CLUSTER = "https://kubernetes.default.svc";

/**
 * Argo CD Application (argoproj.io/v1alpha1), fields from the reference application.yaml and the
 * CRD: https://argo-cd.readthedocs.io/en/stable/operator-manual/application.yaml
 */
const ApplicationSchema = z.strictObject({
  apiVersion: z.literal("argoproj.io/v1alpha1"),
  kind: z.literal("Application"),
  metadata: metadata.extend({
    namespace: z.literal("argocd"),
    // Cascading deletion: https://argo-cd.readthedocs.io/en/stable/user-guide/app_deletion/
    finalizers: z.tuple([z.literal("resources-finalizer.argocd.argoproj.io")]),
  }),
  spec: z.strictObject({
    project: k8sName,
    source: z.strictObject({
      repoURL: z.url(),
      targetRevision: z.string().min(1),
      path: z.string().regex(/^[^/].*[^/]$/, "a relative path without slashes at either end"),
      directory: z.strictObject({ recurse: z.boolean() }).optional(),
    }),
    destination: z.strictObject({ server: z.literal(IN_CLUSTER), namespace: k8sName }),
    syncPolicy: z.strictObject({
      managedNamespaceMetadata: z
        .strictObject({ labels: z.record(z.string(), z.string()) })
        .optional(),
      automated: z.strictObject({ prune: z.literal(true), selfHeal: z.literal(true) }),
      syncOptions: z.array(z.string().regex(/^[A-Za-z]+=(true|false)$/)),
      retry: z.strictObject({
        limit: z.number().int().positive(),
        backoff: z.strictObject({
          duration: z.string().regex(/^\d+[smh]$/),
          factor: z.number().int().positive(),
          maxDuration: z.string().regex(/^\d+[smh]$/),
        }),
      }),
    }),
    info: z.array(z.strictObject({ name: z.string().min(1), value: z.string().min(1) })),
  }),
});

/** AppProject: https://argo-cd.readthedocs.io/en/stable/operator-manual/project.yaml */
const AppProjectSchema = z.strictObject({
  apiVersion: z.literal("argoproj.io/v1alpha1"),
  kind: z.literal("AppProject"),
  metadata: metadata.extend({ namespace: z.literal("argocd") }),
  spec: z.strictObject({
    description: z.string(),
    sourceRepos: z.array(z.url()).min(1),
    destinations: z
      .array(z.strictObject({ server: z.literal(IN_CLUSTER), namespace: z.string().min(1) }))
      .min(1),
    clusterResourceWhitelist: z.array(z.strictObject({ group: z.string(), kind: z.string() })),
    namespaceResourceWhitelist: z
      .array(z.strictObject({ group: z.string(), kind: z.string() }))
      .optional(),
  }),
});

/** Kubernetes ConfigMap (core/v1): data values are strings. */
const ConfigMapSchema = z.strictObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("ConfigMap"),
  metadata,
  data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.string()),
});

/**
 * JCasC of the Kubernetes plugin: key names from the plugin's configuration-as-code docs and test
 * resources (https://github.com/jenkinsci/kubernetes-plugin#configuration-as-code; KubernetesCloud
 * setters name, serverUrl, namespace, jenkinsUrl, webSocket, containerCapStr, connectTimeout,
 * readTimeout, podLabels, templates; PodTemplate name, label, namespace, serviceAccount,
 * idleMinutes, instanceCap, nodeUsageMode, containers; ContainerTemplate name, image, command,
 * args, ttyEnabled, resourceRequestCpu/Memory, resourceLimitCpu/Memory).
 */
const quantity = z.string().regex(/^\d+(m|Mi|Gi)?$/);
const ContainerSchema = z.strictObject({
  name: z.string().min(1),
  image: z.string().regex(/^[a-z0-9./-]+:[\w.-]+$/),
  command: z.string().optional(),
  args: z.string().optional(),
  ttyEnabled: z.boolean().optional(),
  resourceRequestCpu: quantity,
  resourceRequestMemory: quantity,
  resourceLimitCpu: quantity,
  resourceLimitMemory: quantity,
});
const CascSchema = z.strictObject({
  jenkins: z.strictObject({
    clouds: z
      .array(
        z.strictObject({
          kubernetes: z.strictObject({
            name: z.string().min(1),
            serverUrl: z.literal(IN_CLUSTER),
            namespace: k8sName,
            jenkinsUrl: z.url(),
            webSocket: z.literal(true),
            containerCapStr: z.string().regex(/^\d+$/),
            connectTimeout: z.number().int().positive(),
            readTimeout: z.number().int().positive(),
            podLabels: z.array(z.strictObject({ key: z.string(), value: z.string() })),
            templates: z
              .array(
                z.strictObject({
                  name: z.string().min(1),
                  label: z.string().min(1),
                  namespace: k8sName,
                  serviceAccount: k8sName,
                  idleMinutes: z.number().int().min(0),
                  instanceCap: z.number().int().positive(),
                  nodeUsageMode: z.enum(["NORMAL", "EXCLUSIVE"]),
                  containers: z
                    .array(ContainerSchema)
                    .min(1)
                    .refine((cs) => cs.some((c) => c.name === "jnlp"), "a jnlp container"),
                }),
              )
              .min(1),
          }),
        }),
      )
      .length(1),
  }),
});

function manifests(files: ReturnType<typeof renderClusterFiles>) {
  return files
    .filter((f) => f.path.endsWith(".yaml"))
    .map((f) => {
      const docs = parseAllDocuments(f.content);
      expect(docs, f.path).toHaveLength(1);
      const doc = docs[0];
      if (!doc || "empty" in doc) throw new Error(`${f.path}: no document`);
      expect(doc.errors, f.path).toEqual([]);
      return { path: f.path, content: f.content, object: doc.toJS() as Record<string, unknown> };
    });
}

describe.each(["dev", "ha"])("rendered files of examples/clusters/%s.yaml", (name) => {
  const config = example(name);
  const files = renderClusterFiles(config, OUTPUTS[name] ?? {}, { url: REPO_URL });

  it("match the golden files", () => {
    const dir = join(FIXTURES, name);
    if (process.env.UPDATE_GOLDEN) {
      rmSync(dir, { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.content);
      }
    }
    const golden = walk(dir)
      .map((p) => relative(dir, p))
      .sort();
    expect(files.map((f) => f.path)).toEqual(golden);
    for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(dir, f.path), "utf8"));
  });

  it("is deterministic and sorted by path", () => {
    const again = renderClusterFiles(config, { ...(OUTPUTS[name] ?? {}) }, { url: REPO_URL });
    expect(again).toEqual(files);
    expect(files.map((f) => f.path)).toEqual(files.map((f) => f.path).sort());
  });

  it("says in every file that k3s-bot generated it and how to regenerate it", () => {
    for (const f of files) {
      expect(f.content.split("\n")[0], f.path).toMatch(/Generated by k3s-bot/);
      if (f.path.endsWith(".yaml"))
        expect(f.content, f.path).toContain(`k3s-bot render clusters/${name}.yaml --out .`);
    }
  });

  it("validates every manifest against its schema", () => {
    const kinds: string[] = [];
    for (const m of manifests(files)) {
      const kind = m.object.kind as string;
      kinds.push(kind);
      const schema =
        kind === "Application"
          ? ApplicationSchema
          : kind === "AppProject"
            ? AppProjectSchema
            : kind === "ConfigMap"
              ? ConfigMapSchema
              : null;
      expect(schema, `${m.path}: unexpected kind ${kind}`).not.toBeNull();
      const result = schema?.safeParse(m.object);
      expect(result?.success ? [] : result?.error.issues, m.path).toEqual([]);
      if (kind === "ConfigMap") {
        for (const [key, value] of Object.entries(m.object.data as Record<string, string>)) {
          expect(key).toMatch(/\.yaml$/);
          const casc = CascSchema.safeParse(parse(value));
          expect(casc.success ? [] : casc.error.issues, `${m.path} ${key}`).toEqual([]);
        }
      }
    }
    expect(kinds.sort()).toEqual([
      "AppProject",
      "AppProject",
      "Application",
      "Application",
      "Application",
      "ConfigMap",
    ]);
  });

  it("wires the app of apps: root reads argocd/apps, children use the cluster's project", () => {
    const byName = new Map(
      manifests(files).map((m) => [(m.object.metadata as { name: string }).name, m.object]),
    );
    const spec = (n: string) => byName.get(n)?.spec as z.infer<typeof ApplicationSchema>["spec"];
    expect(spec("root").source.path).toBe(`clusters/${name}/argocd/apps`);
    expect(spec("root").source.path).toBe(appsPath(name));
    // Not `default` (any source, any destination): the bootstrap's root project.
    expect(spec("root").project).toBe(ROOT_PROJECT);
    const projectOf = (n: string) =>
      byName.get(n)?.spec as z.infer<typeof AppProjectSchema>["spec"];
    const team = projectOf(`k3s-${name}`);
    expect(team.sourceRepos).toEqual([REPO_URL]);
    // The team deploys to apps only: not jenkins, not a system namespace.
    expect(team.destinations).toEqual([{ server: IN_CLUSTER, namespace: "apps" }]);
    expect(spec(`${name}-apps`).project).toBe(`k3s-${name}`);
    expect(spec(`${name}-apps`).syncPolicy.managedNamespaceMetadata?.labels).toEqual({
      "pod-security.kubernetes.io/enforce": "baseline",
    });
    const jenkins = projectOf(`k3s-${name}-jenkins`);
    expect(jenkins.destinations).toEqual([{ server: IN_CLUSTER, namespace: "jenkins" }]);
    expect(jenkins.namespaceResourceWhitelist).toEqual([{ group: "", kind: "ConfigMap" }]);
    expect(spec(`${name}-jenkins-config`).project).toBe(`k3s-${name}-jenkins`);
    for (const child of [`${name}-jenkins-config`, `${name}-apps`]) {
      expect(spec(child).source.repoURL).toBe(REPO_URL);
      // Argo CD fails an Application whose path does not exist: each has a file there.
      expect(files.some((f) => f.path.startsWith(`${spec(child).source.path}/`))).toBe(true);
    }
    // The root's own folder holds exactly the children and their projects.
    const inApps = files.filter((f) => dirname(f.path) === appsPath(name)).map((f) => f.path);
    expect(inApps.map((p) => p.split("/").pop())).toEqual([
      "jenkins-config.yaml",
      "jenkins-project.yaml",
      "project.yaml",
      "workloads.yaml",
    ]);
    expect(spec(`${name}-apps`).info).toContainEqual({
      name: "Ingress load balancer",
      value: OUTPUTS[name]?.ingress_dns,
    });
  });
});

describe("rendering against the bootstrap", () => {
  const files = renderClusterFiles(example("dev"), OUTPUTS.dev ?? {}, { url: REPO_URL });
  const configMap = manifests(files).find((m) => m.object.kind === "ConfigMap")?.object as {
    metadata: { namespace: string; labels: Record<string, string> };
  };

  it("labels the JCasC ConfigMap for the reload sidecar of the Jenkins release the bootstrap installs", () => {
    // The chart labels (and its sidecar watches) "<fullname>-jenkins-config"; fullname is the
    // release name, which k3s' helm-controller takes from the HelmChart's metadata.name.
    const helmChart = parse(readFileSync("infra/bootstrap/manifests/jenkins.yaml", "utf8")) as {
      metadata: { name: string };
      spec: { targetNamespace: string; valuesContent: string };
    };
    const values = parse(helmChart.spec.valuesContent) as {
      controller: { sidecars: { configAutoReload: { enabled: boolean } } };
    };
    expect(values.controller.sidecars.configAutoReload.enabled).toBe(true);
    expect(configMap.metadata.labels[`${helmChart.metadata.name}-jenkins-config`]).toBe("true");
    expect(configMap.metadata.namespace).toBe(helmChart.spec.targetNamespace);
  });

  it("puts the root Application where the bootstrap's Argo CD installs its own", () => {
    // The bootstrap installs it as applications.<name> of argo-helm's argocd-apps chart.
    const helmChart = readFileSync("infra/bootstrap/manifests/argocd-root.yaml", "utf8");
    const applications = (
      parse((parse(helmChart) as { spec: { valuesContent: string } }).spec.valuesContent) as {
        applications: Record<string, { namespace: string; project: string }>;
      }
    ).applications;
    const [name, bootstrapped] = Object.entries(applications)[0] ?? [];
    const root = manifests(files).find(
      (m) => (m.object.metadata as { name: string }).name === "root",
    )?.object as { metadata: { name: string; namespace: string }; spec: { project: string } };
    expect(root.metadata.name).toBe(name);
    expect(root.metadata.namespace).toBe(bootstrapped?.namespace);
    expect(root.spec.project).toBe(bootstrapped?.project);
  });

  it("gives the root Application the bootstrap's own project: Applications and AppProjects in argocd only", () => {
    // The root Application and its project are one release of their own (argocd-apps:
    // applications.<name> and projects.<name> become an Application and an AppProject).
    const values = parse(
      (
        parse(readFileSync("infra/bootstrap/manifests/argocd-root.yaml", "utf8")) as {
          spec: { valuesContent: string };
        }
      ).spec.valuesContent,
    ) as {
      applications: Record<string, { project: string }>;
      projects: Record<string, Record<string, unknown>>;
    };
    const rootApp = { spec: values.applications.root ?? { project: "" } };
    const projectValues = values.projects[ROOT_PROJECT] ?? {};
    const { namespace, ...projectSpec } = projectValues;
    const project = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: ROOT_PROJECT, namespace },
      spec: projectSpec as Record<string, unknown>,
    };
    expect(rootApp?.spec.project).toBe(ROOT_PROJECT);
    expect(project?.kind).toBe("AppProject");
    expect(project?.metadata.name).toBe(ROOT_PROJECT);
    expect(
      AppProjectSchema.safeParse({
        ...project,
        // The chart leaves an empty whitelist out; the schema wants the field: same meaning.
        spec: {
          ...project?.spec,
          sourceRepos: [REPO_URL],
          clusterResourceWhitelist: project?.spec.clusterResourceWhitelist ?? [],
        },
      }).success,
    ).toBe(true);
    expect(project?.spec.destinations).toEqual([{ server: IN_CLUSTER, namespace: "argocd" }]);
    // No clusterResourceWhitelist: the chart leaves the field out, and an AppProject without it
    // allows no cluster-scoped kind (argoproj/argo-cd, pkg/apis/application/v1alpha1/
    // app_project_types.go, IsGroupKindPermitted: an empty cluster whitelist permits nothing;
    // read in the v2 line's stored copy, 2026-11-29).
    expect(project?.spec.clusterResourceWhitelist).toBeUndefined();
    expect(project?.spec.namespaceResourceWhitelist).toEqual([
      { group: "argoproj.io", kind: "Application" },
      { group: "argoproj.io", kind: "AppProject" },
    ]);
    const rendered = manifests(files).find(
      (m) => (m.object.metadata as { name: string }).name === "root",
    )?.object as { spec: { project: string } };
    expect(rendered.spec.project).toBe(ROOT_PROJECT);
  });
});

describe("rendering choices", () => {
  const dev = example("dev");

  it("writes placeholders that say so when the outputs are not known yet", () => {
    const files = renderClusterFiles(dev, {}, { url: REPO_URL });
    const root = files.find((f) => f.path.endsWith("argocd/root.yaml"));
    expect(root?.content).toContain(`value: ${UNKNOWN_OUTPUT}`);
    expect(files.find((f) => f.path.endsWith("kubernetes-cloud.yaml"))?.content).toContain(
      UNKNOWN_OUTPUT,
    );
  });

  it("never writes a sensitive output", () => {
    const files = renderClusterFiles(dev, { api_url: "(sensitive)" }, { url: REPO_URL });
    expect(files.map((f) => f.content).join("")).not.toContain("(sensitive)");
  });

  it("skips Argo CD files without Argo CD, and Jenkins files without Jenkins", () => {
    const paths = (config: ClusterConfig) =>
      renderClusterFiles(config, {}, { url: REPO_URL }).map((f) => f.path);
    expect(paths(withAddons(dev, { argocd: false }))).toEqual([
      "clusters/dev/jenkins/kubernetes-cloud.yaml",
    ]);
    const noJenkins = paths(withAddons(dev, { jenkins: false }));
    expect(noJenkins.some((p) => p.includes("jenkins"))).toBe(false);
    expect(noJenkins).toContain("clusters/dev/argocd/root.yaml");
    expect(paths(withAddons(dev, { argocd: false, jenkins: false }))).toEqual([]);
  });

  it("sizes the agent cap from the worker group's maximum", () => {
    const loaded = loadDefinition(
      readFileSync("examples/clusters/dev.yaml", "utf8").replace("max: 3", "max: 7"),
      "clusters/dev.yaml",
    );
    if (!loaded.ok) throw new Error("invalid");
    const file = renderClusterFiles(loaded.config, {}, { url: REPO_URL }).find((f) =>
      f.path.endsWith("kubernetes-cloud.yaml"),
    );
    const data = (parse(file?.content ?? "") as { data: Record<string, string> }).data;
    const casc = CascSchema.parse(parse(Object.values(data)[0] ?? ""));
    const cloud = casc.jenkins.clouds[0]?.kubernetes;
    expect(cloud?.containerCapStr).toBe("14");
    expect(cloud?.templates.every((t) => t.instanceCap === 14)).toBe(true);
  });

  it("pins every image it names to a release, never a moving tag", () => {
    const images = renderClusterFiles(example("ha"), {}, { url: REPO_URL })
      .flatMap((f) => [...f.content.matchAll(/\bimage:\s*["']?([^\s"']+)/g)])
      .map((match) => match[1] ?? "");
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      const tag = image.split(":")[1] ?? "";
      // A release starts with its full version; `latest`, `latest-jdk21`, `jdk21` or `21-jdk`
      // move to whatever is newest.
      expect(tag, image).toMatch(/^\d+\.[\w.]+/);
    }
  });
});

describe("k3s-bot render", () => {
  it("writes the files the bot would commit, under the same paths", async () => {
    const out = mkdtempSync(join(tmpdir(), "k3s-render-"));
    try {
      const outputsFile = join(out, "outputs.json");
      const tfOutputs = Object.fromEntries(
        Object.entries(OUTPUTS.dev ?? {}).map(([k, v]) => [
          k,
          { value: v, type: "string", sensitive: v === "(sensitive)" },
        ]),
      );
      writeFileSync(outputsFile, JSON.stringify(tfOutputs));
      const err: string[] = [];
      const code = await runCli(
        [
          "render",
          "examples/clusters/dev.yaml",
          "--out",
          join(out, "repo"),
          "--outputs",
          outputsFile,
          "--repo-url",
          REPO_URL,
        ],
        { out: () => {}, err: (t) => err.push(t) },
      );
      expect(code, err.join("")).toBe(0);
      const expected = renderClusterFiles(example("dev"), OUTPUTS.dev ?? {}, { url: REPO_URL });
      const written = walk(join(out, "repo"))
        .map((p) => relative(join(out, "repo"), p))
        .sort();
      expect(written).toEqual(expected.map((f) => f.path));
      for (const f of expected)
        expect(readFileSync(join(out, "repo", f.path), "utf8"), f.path).toBe(f.content);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("refuses an outputs file that is not `terraform output -json`", async () => {
    const out = mkdtempSync(join(tmpdir(), "k3s-render-"));
    try {
      writeFileSync(join(out, "outputs.json"), JSON.stringify({ api_url: "https://x" }));
      const err: string[] = [];
      const code = await runCli(
        [
          "render",
          "examples/clusters/dev.yaml",
          "--out",
          out,
          "--outputs",
          join(out, "outputs.json"),
          "--repo-url",
          REPO_URL,
        ],
        { out: () => {}, err: (t) => err.push(t) },
      );
      expect(code).toBe(1);
      expect(err.join("")).toMatch(/api_url has no "value"/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
