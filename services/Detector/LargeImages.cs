namespace FaceMesh.Detector;

/// <summary>
/// After a large photo's answer the Detector asks for a background collection of the large-object heap, at most once a
/// second: its pixels (tens to hundreds of MB) are garbage at once, and without a collection the process's resident memory
/// keeps them until the GC's own budget is spent, which is how a Detector that had served a few large photos grew past its
/// container's limit. Small photos never trigger it.
/// </summary>
public static class LargeImages
{
    public const long Threshold = 64L << 20;
    private static long _last;

    public static void Done(long bytes)
    {
        if (bytes < Threshold)
            return;
        long now = Environment.TickCount64, last = Interlocked.Read(ref _last);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _last, now, last) != last)
            return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false, compacting: false);
    }
}
