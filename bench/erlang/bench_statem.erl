%% The gen_statem of the statem_call workload: one state, `ready`, in which a
%% call `ping` is answered `pong` by a reply action (state_functions mode).
-module(bench_statem).
-behaviour(gen_statem).
-export([start_link/0, init/1, callback_mode/0, ready/3]).

start_link() ->
    gen_statem:start_link(?MODULE, [], []).

init([]) ->
    {ok, ready, 0}.

callback_mode() -> state_functions.

ready({call, From}, ping, _Data) ->
    {keep_state_and_data, [{reply, From, pong}]}.
