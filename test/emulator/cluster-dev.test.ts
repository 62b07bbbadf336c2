import { describeClusterLifecycle } from "./cluster-lifecycle";

describeClusterLifecycle("dev");
