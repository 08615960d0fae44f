#!/bin/sh
# interrupt.sh DIR COMMAND...: starts COMMAND in the background, waits until
# the agent it runs has written DIR/agent.pid, sends SIGTERM to COMMAND and
# reports its exit status and whether the agent is still alive.
dir=$1
shift
"$@" &
pid=$!
i=0
while [ ! -s "$dir/agent.pid" ] && [ "$i" -lt 600 ]; do
  sleep 0.1
  i=$((i + 1))
done
kill -TERM "$pid"
wait "$pid"
echo "exit status $?"
agent=$(cat "$dir/agent.pid")
# The agent's end is asynchronous: give it up to 10 s to be gone.
i=0
while kill -0 "$agent" 2>/dev/null && [ "$i" -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
if kill -0 "$agent" 2>/dev/null; then
  echo "agent still running"
  kill -KILL "$agent"
else
  echo "agent ended"
fi
