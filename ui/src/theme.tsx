import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

type Choice = 'system' | 'light' | 'dark';
const KEY = 'slipway.theme';
const store = {
  get: (): string | null => {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  set: (v: string | null): void => {
    try {
      if (v) localStorage.setItem(KEY, v);
      else localStorage.removeItem(KEY);
    } catch {
      /* private mode: the choice lasts for this page */
    }
  },
};
const media = () => window.matchMedia('(prefers-color-scheme: dark)');

interface ThemeState {
  choice: Choice;
  resolved: 'light' | 'dark';
  cycle(): void;
}
const ThemeContext = createContext<ThemeState>({ choice: 'system', resolved: 'light', cycle: () => {} });

/** Follows prefers-color-scheme until the user picks light or dark; the choice is kept in localStorage. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const [choice, setChoice] = useState<Choice>(() => {
    const v = store.get();
    return v === 'light' || v === 'dark' ? v : 'system';
  });
  const [systemDark, setSystemDark] = useState(() => media().matches);
  useEffect(() => {
    const m = media();
    const on = () => setSystemDark(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  useEffect(() => {
    if (choice === 'system') {
      delete document.documentElement.dataset.theme;
      store.set(null);
    } else {
      document.documentElement.dataset.theme = choice;
      store.set(choice);
    }
  }, [choice]);
  const value = useMemo<ThemeState>(
    () => ({
      choice,
      resolved: choice === 'system' ? (systemDark ? 'dark' : 'light') : choice,
      cycle: () => setChoice((c) => (c === 'system' ? (systemDark ? 'light' : 'dark') : c === 'dark' ? 'light' : 'dark')),
    }),
    [choice, systemDark],
  );
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

export const useTheme = () => useContext(ThemeContext);
