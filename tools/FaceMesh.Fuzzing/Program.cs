// facemesh-fuzz TARGET                  one target under afl-fuzz (tools/fuzz/run starts it; input on stdin, SharpFuzz's out-of-process
// mode)
// facemesh-fuzz TARGET --replay FILE... runs inputs directly (a crash found by afl-fuzz, or the regression set) and says which fail
// facemesh-fuzz request --seeds PHOTO_DIR OUT_DIR   writes seed requests (every RPC) carrying the photos of PHOTO_DIR
// Targets: image (photo decoding), request (the Gateway's request parsing and checks, and every photo in it).
using FaceMesh.Fuzzing;

if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: facemesh-fuzz {string.Join('|', FuzzTargets.All.Keys)} [--replay FILE...]");
    return 2;
}
if (args.Length == 4 && args[0] == "request" && args[1] == "--seeds")
{
    Console.WriteLine($"{FuzzTargets.WriteRequestSeeds(args[2], args[3])} seed requests written to {args[3]}");
    return 0;
}
if (args.Length > 1 && args[1] == "--replay")
{
    int failed = 0;
    foreach (var file in args[2..])
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
        }
    }
    Console.WriteLine($"{args.Length - 2 - failed} inputs handled, {failed} failed");
    return failed == 0 ? 0 : 1;
}
SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target(memory.ToArray());
});
return 0;
