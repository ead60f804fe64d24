extension OCISpec {
    /// `linux.seccomp` as runc reads it: the resolved filter, with no conditions left (SeccompResolver makes it).
    public struct Seccomp: Codable, Sendable, Equatable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String]?
        public var flags: [String]?
        public var listenerPath: String?
        public var listenerMetadata: String?
        public var syscalls: [Syscall]?

        public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                    syscalls: [Syscall]? = nil) {
            self.defaultAction = defaultAction
            self.defaultErrnoRet = defaultErrnoRet
            self.architectures = architectures
            self.syscalls = syscalls
        }

        public struct Syscall: Codable, Sendable, Equatable {
            public var names: [String]
            public var action: String
            public var errnoRet: UInt32?
            public var args: [Argument]?
            public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [Argument]? = nil) {
                self.names = names
                self.action = action
                self.errnoRet = errnoRet
                self.args = args
            }
        }

        /// A comparison of one syscall argument (`op` is libseccomp's, e.g. SCMP_CMP_MASKED_EQ).
        public struct Argument: Codable, Sendable, Equatable {
            public var index: UInt
            public var value: UInt64
            public var valueTwo: UInt64?
            public var op: String
            public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
                self.index = index
                self.value = value
                self.valueTwo = valueTwo
                self.op = op
            }
        }
    }
}
