# Runs one aws:executeScript step for openssm, in its own process.
# Reads {"script", "handler", "events", "context", "memoryMb"} as JSON on stdin, limits its own
# address space, runs handler(events, context) and writes {"payload": ...} or {"error": ...}
# as JSON to file descriptor 3. print() output goes to stdout, which the step shows.
import json
import os
import resource
import sys
import threading
import time
import traceback
import types


def watch_parent(ppid):
    # The server went away (even with kill -9): stop rather than run on unattended.
    while True:
        if os.getppid() != ppid:
            os._exit(137)
        time.sleep(0.5)


def main():
    spec = json.load(sys.stdin)
    limit = int(spec.get("memoryMb", 512)) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    out = os.fdopen(3, "w")
    try:
        module = types.ModuleType("script")
        exec(compile(spec["script"], "<script>", "exec"), module.__dict__)
        handler = module.__dict__.get(spec["handler"])
        if not callable(handler):
            raise NameError("the script defines no function named %s" % spec["handler"])
        payload = handler(spec.get("events") or {}, spec.get("context") or {})
        json.dump({"payload": payload}, out, default=str)
    except MemoryError:
        json.dump({"error": "MemoryError: the script went over its memory limit of %d MB" % spec.get("memoryMb", 512)}, out)
    except BaseException as e:  # noqa: BLE001 - every failure of user code is the step's failure
        json.dump({"error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()[-4000:]}, out)
    out.flush()
    sys.stdout.flush()


main()
