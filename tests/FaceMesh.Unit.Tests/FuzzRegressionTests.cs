using FaceMesh.Fuzzing;
using Google.Protobuf;

namespace FaceMesh.Unit.Tests;

/// <summary>
/// Replays what tools/fuzz/run found through the same targets, uninstrumented: every crash or hang it kept, and the
/// corpus afl-fuzz grew (inputs that each reached new code). Each must be decoded or refused with FaceMesh's own error.
/// </summary>
public sealed class FuzzRegressionTests
{
    private static string Folder(string target) => Path.Combine(TestPaths.RepositoryRoot, "tests", "FaceMesh.Unit.Tests", "FuzzRegressions", target);

    public static readonly TheoryData<string> Targets = new() { "image", "request" };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_kept_fuzzing_input_is_handled_or_refused_cleanly(string target)
    {
        var inputs = Directory.GetFiles(Folder(target), "*", SearchOption.AllDirectories);
        Assert.True(inputs.Length >= 10, $"{Folder(target)} holds {inputs.Length} inputs; run tools/fuzz/run {target} to grow the corpus.");
        var failures = new List<string>();
        foreach (var file in inputs)
        {
            try
            {
                FuzzTargets.All[target](File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(Folder(target), file)}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void A_hostile_image_is_refused_by_the_target_and_a_wrong_outcome_would_be_reported()
    {
        // The target's contract: a decoder refusal passes, anything else surfaces (so a regression cannot hide).
        FuzzTargets.Image([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]); // truncated PNG: refused quietly
        FuzzTargets.Request([0, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);                                      // malformed protobuf: refused quietly
        FuzzTargets.Request([0, .. new Contracts.V1.EnrollRequest { Gallery = new string('g', 500), SubjectId = "s" }.ToByteArray()]); // refused by the checks
        var e = Assert.ThrowsAny<Exception>(() => FuzzTargets.All["image"](null!));
        Assert.IsNotType<FaceMesh.Imaging.InvalidImageException>(e);
    }
}
