/** Usernames for user ids, fetched once each from `/api/users?ids=` and kept. */

import { useEffect, useRef, useState } from 'react';
import type { ParleyHttp } from '@parley/client';

export function useUsernames(http: ParleyHttp, ids: number[]): (id: number) => string {
  const known = useRef(new Map<number, string>());
  const asked = useRef(new Set<number>());
  const [, setVersion] = useState(0);
  const missing = [...new Set(ids)].filter((id) => id > 0 && !asked.current.has(id));
  const missingKey = missing.join(',');

  useEffect(() => {
    if (!missingKey) return;
    const wanted = missingKey.split(',').map(Number);
    for (const id of wanted) asked.current.add(id);
    for (let i = 0; i < wanted.length; i += 100) {
      http.users(wanted.slice(i, i + 100)).then(
        (users) => {
          for (const user of users) known.current.set(user.id, user.username);
          setVersion((v) => v + 1);
        },
        () => {
          for (const id of wanted) asked.current.delete(id); // asked again on a later render
        },
      );
    }
  }, [http, missingKey]);

  return (id: number) => known.current.get(id) ?? `user ${id}`;
}
