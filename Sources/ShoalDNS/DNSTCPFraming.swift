import NIOCore

/// Splits a TCP byte stream into DNS messages, each preceded by a two-byte length (RFC 1035 §4.2.2, RFC 7766 §8).
struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        // A partial message at EOF is dropped: the client went away mid-write.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}

extension ByteBuffer {
    /// A message with its TCP length prefix.
    static func dnsTCPFrame(_ message: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(message.count + 2)
        buffer.writeInteger(UInt16(truncatingIfNeeded: message.count))
        buffer.writeBytes(message)
        return buffer
    }
}
