%% many_connections: K fresh nodes on 127.0.0.1, none connected to another,
%% form a full mesh and a message crosses every ordered pair. Run by
%% bench/lib/erlang.js (with ERL_EPMD_PORT set to a private epmd) as
%%   erl -noshell -pa Dir -run bench_mesh main K Cookie Dir Prefix
%% This VM is not distributed: it starts the K peers with `peer`, controlled over
%% standard I/O, so the first distribution connections are the mesh's own. Each
%% peer runs a registered `rx` that counts K-1 {hello, Node}; on `go` a peer sends
%% one to `rx` on every other node (each send sets up its connection; global's
%% connect_all meshes the rest, as by default). Prints "RESULT <ms>": from the
%% first `go` until every peer has counted K-1. Starting the VMs is not timed.
%% And "NOTE ...": the CPU time the peer VMs spent from their `go` to their last
%% hello (all threads, scheduler busy-waiting included, from /proc/self/stat in
%% 10 ms ticks; no note where that file cannot be read).
-module(bench_mesh).
-export([main/1, start_rx/1, go/1, wait_done/0]).

main([KStr, Cookie, Dir, Prefix]) ->
    K = list_to_integer(KStr),
    Args = ["-setcookie", Cookie, "-start_epmd", "false",
            "-kernel", "inet_dist_use_interface", "{127,0,0,1}", "-pa", Dir],
    Peers = [start_peer(Prefix ++ integer_to_list(I), Args) || I <- lists:seq(1, K)],
    Names = [Name || {_, Name} <- Peers],
    [ok = peer:call(P, bench_mesh, start_rx, [K - 1]) || {P, _} <- Peers],
    T0 = erlang:monotonic_time(microsecond),
    [peer:cast(P, bench_mesh, go, [Names]) || {P, _} <- Peers],
    Cpus = [peer:call(P, bench_mesh, wait_done, [], infinity) || {P, _} <- Peers],
    T1 = erlang:monotonic_time(microsecond),
    case lists:all(fun is_integer/1, Cpus) of
        true -> io:format("NOTE CPU of the ~b VMs from go to their last hello: ~b ms (~.1f ms per node; 10 ms ticks, busy-waiting included)~n",
                          [K, lists:sum(Cpus), lists:sum(Cpus) / K]);
        false -> ok
    end,
    io:format("RESULT ~s~n", [float_to_list((T1 - T0) / 1000, [{decimals, 3}])]),
    [peer:stop(P) || {P, _} <- Peers],
    halt(0).

start_peer(Name, Args) ->
    {ok, P, Node} = peer:start_link(#{name => list_to_atom(Name), host => "127.0.0.1", longnames => true,
                                      connection => standard_io, args => Args}),
    {P, Node}.

%% On a peer: the registered counter.
start_rx(Expect) ->
    register(rx, spawn(fun() -> rx(0, Expect, []) end)),
    ok.

rx(Expect, Expect, Waiting) ->
    Cpu = cpu_since(get(cpu_at_go)),
    [W ! {done, Cpu} || W <- Waiting],
    rx_done(Cpu);
rx(Count, Expect, Waiting) ->
    receive
        {cpu_at_go, T} -> put(cpu_at_go, T), rx(Count, Expect, Waiting);
        {hello, _} -> rx(Count + 1, Expect, Waiting);
        {wait, W} -> rx(Count, Expect, [W | Waiting])
    end.

rx_done(Cpu) ->
    receive
        {wait, W} -> W ! {done, Cpu}, rx_done(Cpu);
        _ -> rx_done(Cpu)
    end.

%% This VM's CPU time (user + system, all threads) in ms, or undefined.
cpu_ms() ->
    try
        {ok, Stat} = file:read_file("/proc/self/stat"),
        [_, Rest] = string:split(binary_to_list(Stat), ") "),
        Fields = string:tokens(Rest, " "),
        (list_to_integer(lists:nth(12, Fields)) + list_to_integer(lists:nth(13, Fields))) * 10
    catch _:_ -> undefined
    end.

cpu_since(T0) when is_integer(T0) ->
    case cpu_ms() of
        T1 when is_integer(T1) -> T1 - T0;
        _ -> undefined
    end;
cpu_since(_) -> undefined.

go(Names) ->
    rx ! {cpu_at_go, cpu_ms()},
    Me = node(),
    [{rx, Name} ! {hello, Me} || Name <- Names, Name =/= Me],
    ok.

%% Waits until this peer has counted its hellos; its CPU time since `go` (ms), or undefined.
wait_done() ->
    rx ! {wait, self()},
    receive {done, Cpu} -> Cpu end.
