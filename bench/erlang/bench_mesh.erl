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
    [ok = peer:call(P, bench_mesh, wait_done, [], infinity) || {P, _} <- Peers],
    T1 = erlang:monotonic_time(microsecond),
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
    [W ! done || W <- Waiting],
    rx_done();
rx(Count, Expect, Waiting) ->
    receive
        {hello, _} -> rx(Count + 1, Expect, Waiting);
        {wait, W} -> rx(Count, Expect, [W | Waiting])
    end.

rx_done() ->
    receive
        {wait, W} -> W ! done, rx_done();
        _ -> rx_done()
    end.

go(Names) ->
    Me = node(),
    [{rx, Name} ! {hello, Me} || Name <- Names, Name =/= Me],
    ok.

wait_done() ->
    rx ! {wait, self()},
    receive done -> ok end.
