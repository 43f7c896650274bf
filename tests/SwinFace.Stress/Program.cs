using SwinFace.Stress;

// Long-running checks that need a process of their own (peak RSS, SIGKILL), run by tests/hardening/*.sh:
//   corpus --model M --dir D [--seconds-per-file S] [--max-rss-mb N]    every file of a hostile corpus
//   soak --model M --analyses N [--warmup W] [--leak-kb K] PHOTOS...     memory, heap and handles over a long run (K: a deliberate leak)
//   gallery-kill --dir D --kills N [--seed S]                            SIGKILL savers, check what survives
//   gallery-disk-full --dir D                                            saving onto a full file system
//   gallery-saver PATH                                                   (the child that gallery-kill kills)
try
{
    return args.Length == 0 ? Usage() : args[0] switch
    {
        "corpus" => CorpusRun.Run(new Args(args[1..])),
        "soak" => Soak.Run(new Args(args[1..])),
        "gallery-kill" => GalleryCrash.Kill(new Args(args[1..])),
        "gallery-disk-full" => GalleryCrash.DiskFull(new Args(args[1..])),
        "gallery-saver" => GalleryCrash.Saver(args[1]),
        _ => Usage(),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: SwinFace.Stress corpus|soak|gallery-kill|gallery-disk-full ... (see Program.cs)");
    return 2;
}
