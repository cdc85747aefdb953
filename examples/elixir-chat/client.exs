# An Elixir chat client for the room on the Grove node (server.ts). Lines typed on
# stdin are said in the room; what the room says is printed.
#
#   elixir --name alice@127.0.0.1 --cookie elixir-chat client.exs chat@127.0.0.1 alice
[server, nick] = System.argv()
server = String.to_atom(server)

unless Node.connect(server) do
  IO.puts("cannot reach #{server}")
  System.halt(1)
end

case GenServer.call({:chat, server}, {:join, nick}) do
  {:ok, others} ->
    IO.puts("joined as #{nick} (here: #{Enum.join(others ++ [nick], ", ")})")

  {:error, why} ->
    IO.puts("cannot join: #{why}")
    System.halt(1)
end

defmodule Loop do
  # Reads stdin line by line, handing each line to `main`.
  def read(main) do
    case IO.gets("") do
      line when is_binary(line) -> send(main, {:line, String.trim(line)}); read(main)
      _ -> send(main, :eof)
    end
  end

  def run(server, nick) do
    receive do
      {:line, "/quit"} -> IO.puts("bye")
      {:line, text} -> GenServer.cast({:chat, server}, {:say, nick, text}); run(server, nick)
      :eof -> IO.puts("bye")
      {:message, from, text} -> IO.puts("<#{from}> #{text}"); run(server, nick)
      {:joined, who} -> IO.puts("* #{who} joined"); run(server, nick)
      {:left, who} -> IO.puts("* #{who} left"); run(server, nick)
    end
  end
end

me = self()
spawn_link(fn -> Loop.read(me) end)
Loop.run(server, nick)
