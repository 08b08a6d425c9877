using FaceMesh.Imaging;

namespace FaceMesh.Unit.Tests;

public sealed class DecodeBudgetTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Reservations_that_fit_are_granted_at_once_and_the_rest_wait_for_a_release()
    {
        var budget = new DecodeBudget(100);
        var a = await budget.ReserveAsync(60, Long);
        var b = await budget.ReserveAsync(40, Long);
        Assert.Equal(100, budget.InUse);
        var c = budget.ReserveAsync(30, Long);
        await Task.Delay(50);
        Assert.False(c.IsCompleted); // no room
        a.Dispose();
        using (await c)
            Assert.Equal(70, budget.InUse);
        b.Dispose();
        Assert.Equal(0, budget.InUse);
        Assert.Equal(100, budget.Peak);
    }

    [Fact]
    public async Task A_reservation_that_waits_too_long_fails_with_a_retry_hint_and_frees_its_place()
    {
        var budget = new DecodeBudget(100);
        using var held = await budget.ReserveAsync(90, Long);
        var e = await Assert.ThrowsAsync<DecodeBudgetExceededException>(() => budget.ReserveAsync(50, TimeSpan.FromMilliseconds(100)));
        Assert.InRange(e.RetryAfter.TotalMilliseconds, 250, 2000);
        Assert.Contains("Retry shortly", e.Message);
        using var small = await budget.ReserveAsync(10, TimeSpan.Zero); // the abandoned waiter no longer blocks the queue
        Assert.Equal(100, budget.InUse);
    }

    [Fact]
    public async Task One_image_larger_than_the_budget_is_admitted_alone_and_first_come_is_first_served()
    {
        var budget = new DecodeBudget(100);
        var first = await budget.ReserveAsync(10, Long);
        var huge = budget.ReserveAsync(500, Long);
        var small = budget.ReserveAsync(10, Long); // fits, but queues behind the large one
        await Task.Delay(50);
        Assert.False(huge.IsCompleted);
        Assert.False(small.IsCompleted);
        first.Dispose();
        var hugeLease = await huge;
        Assert.Equal(500, budget.InUse);
        await Task.Delay(50);
        Assert.False(small.IsCompleted);
        hugeLease.Dispose();
        (await small).Dispose();
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task A_cancelled_caller_is_cancelled_not_refused()
    {
        var budget = new DecodeBudget(10);
        using var held = await budget.ReserveAsync(10, Long);
        using var cancel = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.ReserveAsync(5, Long, cancel.Token));
    }
}
