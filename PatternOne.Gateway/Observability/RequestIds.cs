using System.Security.Cryptography;

namespace PatternOne.Gateway.Observability;

/// <summary>
/// New <c>x-request-id</c> values: random (version 4) UUIDs in the 36-character form <see cref="Guid.NewGuid"/> gives,
/// drawn from a per-thread buffer of cryptographically random bytes refilled 256 ids at a time, as Envoy's UUID
/// generator does. <see cref="Guid.NewGuid"/> asks the kernel's random source once per id: a system call on every
/// request that carries no id.
/// </summary>
internal static class RequestIds
{
    private const int IdBytes = 16;
    private const int IdsPerRefill = 256;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_next;

    public static string New()
    {
        var random = t_random;
        if (random is null || t_next == random.Length)
        {
            random = t_random ??= new byte[IdBytes * IdsPerRefill];
            RandomNumberGenerator.Fill(random);
            t_next = 0;
        }

        Span<byte> id = stackalloc byte[IdBytes];
        random.AsSpan(t_next, IdBytes).CopyTo(id);
        t_next += IdBytes;

        // RFC 9562 §5.4: version 4 in the high nibble of octet 6, variant 10 in the top bits of octet 8; the other
        // 122 bits stay random, as in Guid.NewGuid.
        id[6] = (byte)((id[6] & 0x0F) | 0x40);
        id[8] = (byte)((id[8] & 0x3F) | 0x80);
        return new Guid(id, bigEndian: true).ToString();
    }
}
