%% The trivial gen_server every Erlang workload talks to.
%% State is a message count. If started with a pid, init notifies it with
%% {gs_up, self()} (the supervisor restart workload waits for that).
-module(bench_gs).
-behaviour(gen_server).
-export([start_link/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

start_link(Notify) ->
    gen_server:start_link(?MODULE, Notify, []).

init(none) ->
    {ok, 0};
init(Notify) when is_pid(Notify) ->
    Notify ! {gs_up, self()},
    {ok, 0}.

handle_call(ping, _From, N) -> {reply, pong, N};
handle_call(count, _From, N) -> {reply, N, N}.

handle_cast({msg, _}, N) -> {noreply, N + 1};
handle_cast(crash, _N) -> erlang:error(crash_requested).

handle_info(_Info, N) -> {noreply, N}.
