/** Usernames for user ids, fetched once each from `/api/users?ids=` and kept. */

import { useEffect, useRef, useState } from 'react';
import type { ParleyHttp } from '@parley/client';

export function useUsernames(http: ParleyHttp, ids: readonly number[]): (id: number) => string {
  const [names, setNames] = useState<ReadonlyMap<number, string>>(new Map());
  const asked = useRef(new Set<number>());
  const idsKey = [...new Set(ids)].filter((id) => id > 0).sort((a, b) => a - b).join(',');

  useEffect(() => {
    const wanted = idsKey ? idsKey.split(',').map(Number).filter((id) => !asked.current.has(id)) : [];
    for (const id of wanted) asked.current.add(id);
    for (let i = 0; i < wanted.length; i += 100) {
      const batch = wanted.slice(i, i + 100);
      http.users(batch).then(
        (users) => setNames((known) => new Map([...known, ...users.map((u): [number, string] => [u.id, u.username])])),
        () => {
          for (const id of batch) asked.current.delete(id); // asked again when the ids change
        },
      );
    }
  }, [http, idsKey]);

  return (id: number) => names.get(id) ?? `user ${id}`;
}
