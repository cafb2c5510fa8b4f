"""Fan-out: one ordered feed per followed stream owner (a channel, a user's DM
conversations) to this edge's sockets, and presence across edges."""
