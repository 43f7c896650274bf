using SharpFuzz;
using SwinFace.Fuzz;

// SwinFace.Fuzz TARGET                 under afl-fuzz (tests/fuzz/fuzz.sh): one input a run, on standard input
// SwinFace.Fuzz TARGET --replay PATH... runs files or folders of inputs once each and prints the outcome
// SwinFace.Fuzz --list                  prints the target names
if (args.Length == 1 && args[0] == "--list")
{
    foreach (FuzzTarget t in FuzzTargets.All)
    {
        Console.WriteLine(t.Name);
    }

    return 0;
}

FuzzTarget? target = args.Length > 0 ? FuzzTargets.Find(args[0]) : null;
if (target is null)
{
    Console.Error.WriteLine($"usage: SwinFace.Fuzz TARGET [--replay PATH...] | --list; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}

if (args.Length > 1 && args[1] == "--replay")
{
    return Replay.Run(target, args[2..]);
}

// Out of process: a hang or an uncatchable crash kills only the worker, which SharpFuzz restarts.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target.Execute(copy.ToArray());
});
return 0;
