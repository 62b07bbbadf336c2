import { describeClusterLifecycle } from "./cluster-lifecycle";

describeClusterLifecycle("ha");
