namespace FaceMesh.Imaging;

/// <summary>
/// Bounds the memory of the images being decoded and worked on at once across all requests of a process: a request
/// reserves what its decode holds (<see cref="PendingDecode.PeakBytes"/>) before decoding and keeps the lease until
/// it no longer needs the pixels. A reservation that does not fit waits up to <c>wait</c> for others to finish, then
/// fails with <see cref="DecodeBudgetExceededException"/> (a service answers <c>RESOURCE_EXHAUSTED</c> with
/// <c>retry-after-ms</c>). One image larger than the whole budget is admitted when nothing else holds any of it, so a
/// small budget slows large photos down but never refuses one that the limits accept.
/// </summary>
public sealed class DecodeBudget(long bytes)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _used;

    public long Bytes { get; } = bytes > 0 ? bytes : throw new ArgumentOutOfRangeException(nameof(bytes), "The decode budget must be positive.");

    /// <summary>Bytes reserved now.</summary>
    public long InUse
    {
        get
        {
            lock (_lock)
                return _used;
        }
    }

    /// <summary>The most bytes ever reserved at once.</summary>
    public long Peak { get; private set; }

    public async Task<IDisposable> ReserveAsync(long bytes, TimeSpan wait, CancellationToken cancellation = default)
    {
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && Fits(bytes))
                return Grant(bytes);
            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(wait);
        await using (timeout.Token.Register(() => Abandon(waiter)))
        {
            try
            {
                return await waiter.Granted.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new DecodeBudgetExceededException(bytes, Bytes, wait);
            }
        }
    }

    private bool Fits(long bytes) => _used == 0 || _used + bytes <= Bytes;

    private Lease Grant(long bytes)
    {
        _used += bytes;
        Peak = Math.Max(Peak, _used);
        return new Lease(this, bytes);
    }

    private void Abandon(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null)
                return; // granted meanwhile
            _waiters.Remove(waiter.Node);
        }
        waiter.Granted.TrySetCanceled();
        Release(0); // a waiter behind it may fit now
    }

    private void Release(long bytes)
    {
        var granted = new List<(Waiter, Lease)>();
        lock (_lock)
        {
            _used -= bytes;
            // First come, first served: a large reservation at the head is not overtaken by small ones behind it.
            while (_waiters.First is { } first && Fits(first.Value.Bytes))
            {
                _waiters.RemoveFirst();
                granted.Add((first.Value, Grant(first.Value.Bytes)));
            }
        }
        foreach (var (waiter, lease) in granted)
            if (!waiter.Granted.TrySetResult(lease))
                lease.Dispose();
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;
        public LinkedListNode<Waiter>? Node { get; set; }
        public TaskCompletionSource<IDisposable> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Lease(DecodeBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                budget.Release(bytes);
        }
    }
}

/// <summary>The decode budget stayed full for as long as a request may wait: retry after <see cref="RetryAfter"/>.</summary>
public sealed class DecodeBudgetExceededException(long bytes, long budget, TimeSpan waited)
    : Exception($"The server is decoding as many large images as its memory allows: this one needs {bytes / 1048576.0:F0} MiB of the " +
                $"{budget / 1048576.0:F0} MiB decode budget, which stayed full for {waited.TotalSeconds:F1} s. Retry shortly, or send a smaller photo " +
                "(a face needs no more than a few megapixels).")
{
    public TimeSpan RetryAfter { get; } = TimeSpan.FromMilliseconds(Math.Clamp(waited.TotalMilliseconds, 250, 2000));
}
