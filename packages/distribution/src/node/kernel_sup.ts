/**
 * The kernel supervisor (OTP `kernel_sup`): the system processes every distributed
 * node runs, started by `startDistributed` under one supervisor registered as
 * {@link KERNEL_SUP}, in this order:
 *
 * 1. `net_kernel` (membership, connections, ticks);
 * 2. `global_name_server` (it hears of nodes through the net kernel);
 * 3. `rex` (rpc);
 * 4. `grove_introspect` (what observers read of the node; no OTP equivalent: OTP's
 *    observer reaches `observer_backend` through rpc).
 *
 * `rest_for_one`: a restarted net kernel (which closed every connection as it went)
 * restarts the two that follow it, so that the name server subscribes to the new one;
 * a restarted name server restarts rex too, which costs nothing (rex keeps its table
 * of exposed modules outside the process, and its workers answer their callers
 * themselves).
 *
 * Deliberate difference from OTP, whose kernel_sup is `one_for_all` with intensity 0
 * (the death of any of them halts the node): a process that dies here is restarted,
 * so one that a bug or a peer kills comes back and rpc, global and ping work again.
 * Past {@link KERNEL_SUP_FLAGS}' intensity the supervisor gives up, and the node stops
 * (its connections close, as OTP's node would halt at once).
 *
 * Internal to the package, not part of its API.
 */
import { startSupervisor, type Node, type Pid, type SupervisorFlags } from '@grove/core';
import { GlobalServer } from '../global/name_server';
import { GLOBAL_NAME_SERVER } from '../global/protocol';
import { REX, RpcServer } from '../rpc/rex';
import { INTROSPECT, IntrospectServer } from './introspect';
import { kernelOf, NET_KERNEL, NetKernel, type NetKernelArgs } from './net_kernel';

/** The name of the kernel supervisor on every distributed node. */
export const KERNEL_SUP = 'kernel_sup';

/** At most 10 restarts in 10 s, then the node stops. */
export const KERNEL_SUP_FLAGS: SupervisorFlags = { strategy: 'rest_for_one', intensity: 10, periodMs: 10_000 };

/** Starts the kernel supervisor and its children; resolves with its pid once all of them run. */
export function startKernelSup(node: Node, args: NetKernelArgs): Promise<Pid> {
  return startSupervisor(
    node,
    {
      flags: KERNEL_SUP_FLAGS,
      children: [
        NetKernel.childSpec(args, { id: NET_KERNEL, name: NET_KERNEL }),
        // The name server of a restart must subscribe to the net kernel running then.
        { id: GLOBAL_NAME_SERVER, start: (parent) => GlobalServer.startLink(parent, kernelOf(node)!, { name: GLOBAL_NAME_SERVER }) },
        RpcServer.childSpec(undefined, { id: REX, name: REX }),
        IntrospectServer.childSpec(undefined, { id: INTROSPECT, name: INTROSPECT }),
      ],
    },
    { name: KERNEL_SUP },
  );
}
