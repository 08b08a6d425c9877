using FaceMesh.Training.Data;

namespace FaceMesh.Training.Tests;

public sealed class SeedTests
{
    /// <summary>
    /// The seeds of an epoch's batches, augmentation and torch generator are fixed numbers, not per-process hashes:
    /// two runs of one experiment train on the same batches. These values were computed by hand from SplitMix64's
    /// finaliser; a seed from <see cref="HashCode"/> (randomised per process) cannot give them.
    /// </summary>
    [Fact]
    public void An_epoch_seed_is_the_same_in_every_process()
    {
        Assert.Equal(-28809778, Batches.SeedOf(1, 0, 0x5eed));
        Assert.Equal(-1297413407, Batches.SeedOf(1, 1, 0x5eed));
        Assert.Equal(2065550767, Batches.SeedOf(1, 0, 0));
        Assert.Equal(417373108, Batches.SeedOf(7, 3, 0));
        Assert.Equal(new Random(-28809778).Next(), Batches.EpochRandom(1, 0).Next());
    }
}
