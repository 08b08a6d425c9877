namespace FaceMesh.Matcher;

/// <summary>
/// Wakes whoever waits for faces to appear or disappear (read-your-writes) when this Matcher applies a
/// change. Changes made by another replica (a shared Qdrant store) are seen by the waiters' periodic re-check.
/// </summary>
public sealed class GalleryChanges
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Applied() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes at the next change, or after <paramref name="recheck"/>.</summary>
    public Task Next(TimeSpan recheck, CancellationToken cancellation) =>
        Task.WhenAny(Volatile.Read(ref _next).Task, Task.Delay(recheck, cancellation));
}
