# Who held the core while watched threads waited for it (docs/benchmarks.md, "Who holds the
# core while a loop waits"). Reads `perf sched timehist` output:
#   perf sched record -- sleep 3     (system-wide: the other tasks on the cores are the answer)
#   perf sched timehist | awk -v watch='^tunecase\[(TID1|TID2)/' -v label='serve loops' -f bench/sched_waits.awk
# Each timehist line is a stretch a task ran on a core, with the time it had waited for the
# core before it (sch delay). For every watched stretch that began after a wait over 0.2 ms,
# the tasks that ran on that core during the wait are charged with their overlap with it
# (walking back over the core's earlier stretches until one ended before the wait began).
# Other watched threads count as "watched"; a gap in which the core ran nothing as "<idle>".
NR > 3 && $2 ~ /^\[/ && NF >= 6 {
  t = $1; cpu = $2; name = $3; delay = $5; run = $6
  split(name, parts, "["); comm = parts[1]
  k = ++count[cpu]; start[cpu, k] = t - run / 1000; end[cpu, k] = t
  who[cpu, k] = (name ~ watch) ? "watched" : comm
  if (name !~ watch) next
  stretches++
  if (delay <= 0.2) next
  long++; waited += delay
  from = t - run / 1000 - delay / 1000; to = t - run / 1000
  for (j = k - 1; j > 0 && end[cpu, j] > from; j--) {
    overlap = (end[cpu, j] < to ? end[cpu, j] : to) - (start[cpu, j] > from ? start[cpu, j] : from)
    if (overlap > 0) held[who[cpu, j]] += overlap * 1000
  }
}
END {
  if (!stretches) { print "no stretch of a watched thread (check the watch pattern)"; exit 1 }
  printf "%s: %d stretches, %d after a wait over 0.2 ms (%.2f%%), %.1f ms of such waits; the core meanwhile ran:\n", label, stretches, long, 100 * long / stretches, waited
  for (w in held) printf "  %6.1f ms  %4.1f%%  %s\n", held[w], 100 * held[w] / waited, w
}
