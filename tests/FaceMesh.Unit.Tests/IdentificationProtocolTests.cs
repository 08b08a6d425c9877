using FaceMesh.Evaluation;

namespace FaceMesh.Unit.Tests;

public sealed class IdentificationProtocolTests
{
    private static float[] Unit(float angleDegrees) =>
        [MathF.Cos(angleDegrees * MathF.PI / 180), MathF.Sin(angleDegrees * MathF.PI / 180)];

    [Fact]
    public void Rank_and_fnir_at_fpir_follow_the_nist_definitions()
    {
        // Subjects A (0°) and B (90°) are enrolled by their first photo; C is left out.
        // A's probes: 10° (A best: cos 10° = 0.985) and 60° (B best: cos 30° > cos 60°) → rank 1 and rank 2.
        // B's probe: 85° → rank 1 with cos 5° = 0.996. A probe without a face counts as a miss.
        // C's probes (non-mated): 45° (best cos 45° = 0.707) and 180° (best cos 90° = 0).
        IReadOnlyList<IReadOnlyList<float[]?>> subjects =
        [
            [Unit(0), Unit(10), Unit(60), null],
            [Unit(90), Unit(85)],
            [Unit(45), Unit(180)],
        ];
        var report = IdentificationProtocol.Run(subjects, leftOut: 1);
        Assert.Equal(2, report.GallerySubjects);
        Assert.Equal(4, report.MatedProbes);
        Assert.Equal(2, report.NonMatedProbes);
        Assert.Equal(1, report.FailedImages);
        Assert.Equal(2.0 / 4, report.Rank1, 9);   // 10° and 85°
        Assert.Equal(3.0 / 4, report.Rank5, 9);   // 60° is rank 2; the faceless probe never ranks
        // FPIR 0.1 of 2 non-mated probes allows none: the threshold is just above 0.707, so the mated
        // rank-1 probes (0.985, 0.996) are found and FNIR = 2/4. FPIR 0.01 gives the same.
        Assert.Equal(0.5, report.FnirAtFpir["0.1"], 9);
        Assert.Equal(0.5, report.FnirAtFpir["0.01"], 9);
        Assert.InRange(report.ThresholdAtFpir["0.01"], 0.7071, 0.7072);
    }
}
