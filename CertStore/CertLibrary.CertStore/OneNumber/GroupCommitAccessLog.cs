using System.Threading.Channels;

namespace CertLibrary.CertStore.OneNumber;

/// <summary>
/// Group commit for the access log: concurrent appends are written together in one transaction by a single writer, and
/// each caller's task completes only after that transaction has committed, so a lookup is never answered before its
/// log row is durable, while many lookups share one commit (SQLite allows one writer at a time).
/// </summary>
internal sealed class GroupCommitAccessLog(SqlOneNumberStore inner) : IAccessLogStore, IDisposable
{
    private const int MaxBatch = 500;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _startLock = new();
    private Task? _writer;

    public Task AppendAsync(string holderKey, AccessLogEntry entry, CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            lock (_startLock)
            {
                _writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
            }
        }

        var pending = new Pending(holderKey, entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommitAccessLog));
        }

        // A cancelled request still gets its row: the read it describes has happened.
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public Task<(IReadOnlyList<AccessLogEntry> Items, long Total)> ListAsync(string holderKey, int offset, int limit, CancellationToken cancellationToken) =>
        inner.ListAsync(holderKey, offset, limit, cancellationToken);

    public void Dispose() => _queue.Writer.TryComplete();

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await inner.AppendManyAsync([.. batch.Select(p => (p.HolderKey, p.Entry))], CancellationToken.None);
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception e)
            {
                batch.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    private sealed record Pending(string HolderKey, AccessLogEntry Entry, TaskCompletionSource Done);
}
