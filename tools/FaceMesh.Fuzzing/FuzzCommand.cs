using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Fuzzing;

/// <summary>
/// <c>facemesh-fuzz</c>, parsed as the <c>facemesh</c> CLI parses its commands: <c>TARGET</c> runs one target under
/// afl-fuzz (tools/fuzz/run starts it; input on stdin, SharpFuzz's out-of-process mode); <c>TARGET --replay FILE...</c>
/// runs inputs directly and says which fail; <c>request --seeds PHOTO_DIR OUT_DIR</c> writes seed requests.
/// </summary>
public sealed class FuzzCommand : Command<FuzzCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<TARGET>")]
        [Description("image (photo decoding) or request (the Gateway's request parsing and checks, and every photo in it).")]
        public string Target { get; init; } = "";

        [CommandArgument(1, "[FILES]")]
        [Description("With --replay: the inputs. With --seeds: the photo folder and the output folder.")]
        public string[] Files { get; init; } = [];

        [CommandOption("--replay")]
        public bool Replay { get; init; }

        [CommandOption("--seeds")]
        public bool Seeds { get; init; }

        public override ValidationResult Validate() =>
            !FuzzTargets.All.ContainsKey(Target) ? ValidationResult.Error($"The target is '{Target}'; use {string.Join(" or ", FuzzTargets.All.Keys)}.")
            : Seeds && (Target != "request" || Files.Length != 2) ? ValidationResult.Error("--seeds is: facemesh-fuzz request --seeds PHOTO_DIR OUT_DIR.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var target = FuzzTargets.All[settings.Target];
        if (settings.Seeds)
        {
            Console.WriteLine($"{FuzzTargets.WriteRequestSeeds(settings.Files[0], settings.Files[1])} seed requests written to {settings.Files[1]}");
            return 0;
        }
        if (settings.Replay)
        {
            int failed = 0;
            foreach (var file in settings.Files)
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
            Console.WriteLine($"{settings.Files.Length - failed} inputs handled, {failed} failed");
            return failed == 0 ? 0 : 1;
        }
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            target(memory.ToArray());
        });
        return 0;
    }
}
