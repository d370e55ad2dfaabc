using System.Collections.Concurrent;

namespace CertLibrary.Identity;

/// <summary>
/// Runs password hashes (PBKDF2, tens of milliseconds of CPU each) on a fixed set of dedicated threads, one per core,
/// never on the thread pool. Run on pool threads, concurrent sign-ins each block a pool thread for a whole hash: the
/// pool then has no thread left for the short work of other requests (reading a socket, a database answer, a page)
/// and keeps injecting threads, so more hashes run at once than there are cores and they slow each other down with
/// context switches. Here at most <see cref="Concurrency"/> hashes run at a time and the rest wait in a queue without
/// holding a thread; requests awaiting a hash continue on the thread pool, never on a hashing thread.
/// </summary>
internal sealed class PasswordHashing
{
    /// <summary>The one instance of the process: the cores are shared by every host in it.</summary>
    public static readonly PasswordHashing Shared = new(Environment.ProcessorCount);

    private readonly BlockingCollection<WorkItem> _queue = [];

    /// <summary>Starts <paramref name="concurrency"/> background threads that take hashes from the queue.</summary>
    public PasswordHashing(int concurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        Concurrency = concurrency;
        for (var i = 0; i < concurrency; i++)
        {
            new Thread(Work) { IsBackground = true, Name = "certlib password hashing" }.Start();
        }
    }

    /// <summary>How many hashes may run at the same time.</summary>
    public int Concurrency { get; }

    /// <summary>
    /// Queues <paramref name="hash"/> and completes with its result once a hashing thread ran it. A request cancelled
    /// while it waits is dropped from the queue without hashing (nobody is left to read the answer).
    /// </summary>
    public Task<T> RunAsync<T>(Func<T> hash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hash);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var item = new WorkItem<T>(hash, cancellationToken);
        _queue.Add(item, CancellationToken.None);
        return item.Task;
    }

    private void Work()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            item.Run();
        }
    }

    private abstract class WorkItem
    {
        public abstract void Run();
    }

    private sealed class WorkItem<T>(Func<T> hash, CancellationToken cancellationToken) : WorkItem
    {
        // Continuations run on the thread pool, never inline on the hashing thread.
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override void Run()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(cancellationToken);
                return;
            }

            try
            {
                _completion.TrySetResult(hash());
            }
#pragma warning disable CA1031 // The failure belongs to the request that queued the hash: it is handed over, never swallowed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _completion.TrySetException(e);
            }
        }
    }
}
