using FaceMesh.Evaluation;
using Xunit;

namespace FaceMesh.UnitTests;

/// <summary>ISO/IEC 30107-3 error rates against values worked out by hand.</summary>
public sealed class LivenessMetricsTests
{
    [Fact]
    public void Apcer_bpcer_acer_and_eer_match_hand_counts_and_a_missing_face_counts_against_the_system()
    {
        double?[] live = [0.9, 0.8, 0.7, 0.4, null];   // 0.4 refused at 0.5, and the photo without a face
        double?[] attack = [0.1, 0.2, 0.6, null];      // 0.6 accepted, and the photo without a face
        var s = LivenessMetrics.Score(live, attack, 0.5);
        Assert.Equal(2.0 / 4, s.Apcer, 9);
        Assert.Equal(2.0 / 5, s.Bpcer, 9);
        Assert.Equal((2.0 / 4 + 2.0 / 5) / 2, s.Acer, 9);
        Assert.Equal((5, 4, 2), (s.Real, s.Spoof, s.NoFace));
        // Over the thresholds: at 0.6 APCER 2/4 (0.6 and the no-face attack) and BPCER 2/5 (0.4 and the no-face live photo)
        // are closest (0.1 apart; at 0.7 they are 1/4 and 2/5, 0.15 apart): the EER is their mean there.
        Assert.Equal((2.0 / 4 + 2.0 / 5) / 2, s.Eer, 9);
        // Refusing at most 1 % of live faces: impossible above any score (the no-face one is always refused), so APCER
        // is where every real face with a score is accepted: threshold 0.4, attacks 0.6 and no-face accepted.
        Assert.Equal(2.0 / 4, LivenessMetrics.ApcerAtBpcer([0.9, 0.8, 0.7, 0.4], [0.1, 0.2, 0.6, double.PositiveInfinity], 0.01), 9);
    }

    [Fact]
    public void Perfectly_separated_scores_have_no_error_at_the_threshold_between_them()
    {
        var s = LivenessMetrics.Score([0.9, 0.8], [0.1, 0.2], 0.5);
        Assert.Equal((0.0, 0.0, 0.0, 0.0, 0.0), (s.Apcer, s.Bpcer, s.Acer, s.Eer, s.ApcerAtBpcer1));
        Assert.Throws<ArgumentException>(() => LivenessMetrics.Score([], [0.1], 0.5));
    }

    [Fact]
    public void The_calibrated_threshold_is_the_middle_of_the_gap_of_least_acer_not_its_edge()
    {
        // Separated: every threshold in (0.3, 0.7] makes no error; the middle of that gap is taken.
        Assert.Equal(0.5, LivenessMetrics.ThresholdOfLeastAcer([0.9, 0.8, 0.7], [0.1, 0.2, 0.3]), 9);
        // Overlapping: one error is the least (ACER 1/8, at a threshold in (0.6, 0.65] or in (0.7, 0.8]); the gaps tie,
        // the middle one of the tied candidates is 0.8, so the threshold is halfway between 0.7 and 0.8.
        double t = LivenessMetrics.ThresholdOfLeastAcer([0.9, 0.8, 0.65, 0.95], [0.1, 0.6, 0.7, 0.2]);
        Assert.Equal(0.75, t, 9);
        Assert.Equal(1.0 / 8, (LivenessMetrics.Apcer([0.1, 0.6, 0.7, 0.2], t) + LivenessMetrics.Bpcer([0.9, 0.8, 0.65, 0.95], t)) / 2, 9);
    }
}
